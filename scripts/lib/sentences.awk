# Filler sentences for make_running_speech.sh: reads texts, one per line, and prints the sentences
# in them that an engine can read plainly and that hold no banned word.
#   awk -v banned="yes no ... know write" -v minw=4 -v maxw=24 -f sentences.awk
# A text is cut after . ! ? ; or : followed by a space; a sentence is kept when, after quote marks
# and brackets are dropped, it holds only letters, spaces and , . ' ! ? ; : - (no digits, symbols
# or abbreviations run together), has minw..maxw words, each with a letter in it (" ..." is first
# joined to the word before it, so a piece cut at a word boundary is never silent), and none of its
# words is banned. Words are compared lower-cased and cut at every non-letter, so "On," "GO!"
# "set-up" and "no's" are caught.
# Words in capitals ("LORD") are written in lower case after their first letter, so engines read
# them as words rather than spell them.
BEGIN { nb = split(banned, B, " "); for (i = 1; i <= nb; i++) ban[B[i]] = 1 }
function emit(s,   n, W, i, w, lw, T, nt) {
  sub(/^[^A-Za-z]+/, "", s)
  sub(/[ ,;:-]+$/, "", s)
  if (s !~ /[.!?]$/) s = s "."
  if (s !~ /^[A-Za-z][A-Za-z ,.'!?;:-]*$/) return
  gsub(/ +\.\.\./, "...", s)
  if (s ~ /[.!?][A-Za-z]/ || s ~ /''|--|- | -|[,;:][^ ]/) return
  n = split(s, W, " ")
  if (n < minw || n > maxw) return
  s = ""
  for (i = 1; i <= n; i++) {
    w = W[i]
    if (w !~ /[A-Za-z]/) return
    if (w ~ /^[A-Z][A-Z]+/) w = substr(w, 1, 1) tolower(substr(w, 2))
    s = s (i > 1 ? " " : "") w
  }
  lw = tolower(s)
  gsub(/[^a-z]+/, " ", lw)
  nt = split(lw, T, " ")
  for (i = 1; i <= nt; i++) if (T[i] in ban) return
  print s
}
{
  t = $0
  gsub(/\t/, " ", t)
  gsub(/ *-- */, ", ", t)
  gsub(/["`()\[\]_*{}]/, "", t)
  gsub(/ +/, " ", t)
  while (length(t) > 0) {
    if (match(t, /[.!?;:]+( |$)/)) { s = substr(t, 1, RSTART + RLENGTH - 1); t = substr(t, RSTART + RLENGTH) }
    else { s = t; t = "" }
    emit(s)
  }
}
