# Sentences an engine reads exactly as their transcript, for make_sentences.sh. Reads the output of
# sentences.awk (one sentence a line, letters, spaces and , . ' ! ? ; : - only; run after
# texts.sh's texts_mark_capitals for texts whose capitals are acronyms) and prints
#   SPOKEN <tab> TEXT
# for each sentence kept: SPOKEN is what the engine is given, TEXT the transcript of it in lower
# case a-z, apostrophe and single spaces.
#   awk -v minw=3 -v maxw=20 -f transcripts.awk
# A sentence is dropped when any word of it (its letters and apostrophes, each part of a hyphenated
# word on its own)
#   - has no vowel (a e i o u y): Mr, Dr, St, tv, hmm, nth are spelled out or expanded;
#   - is a single letter other than a, i and o (initials, "plan B", "vitamin C", roman V and X);
#   - has a capital after a small letter (PhD, McDonald, TeX: engines spell or split these);
#   - is "I" after a capitalised word, unless that word opens the sentence and is a common opener
#     ("Then I", "And I"), or after a word that numbers things (book, chapter, part, act, war...):
#     "Charles I", "World War I", "that book I" are read as numbers (festival: "the first", "one");
#   - is "ok" (read "okay");
#   - is an abbreviation of the first list below (etc, esp, vs, Jan: espeak says "et cetera"),
#     with a period or without;
# or when a period stands anywhere but in the punctuation that ends the sentence (Inc.'s: "inc dot
# s"; etc., and), or when its last word ends in a period and is an abbreviation of the second list
# below, capitalised (Gen. Sun. Co.; "under the sun." is kept). Hyphens become spaces in
# both fields ("set-up" is read and written "set up"). TEXT is SPOKEN lower-cased, with every
# character other than a-z and apostrophe made a space, apostrophes that do not stand between two
# letters removed ("'tis" "dogs'"), and spaces collapsed. Sentences of TEXT with fewer than minw or
# more than maxw words are dropped.
BEGIN {
  n = split("etc esp usu prob orig obs abbr abbrev approx ca cf viz vs al ibid op cit eds vol vols " \
            "chap eq eqs vt vi adj adv interj conj pron prep mr mrs ms mme mlle messrs dr prof capt maj " \
            "lieut sgt cpl adm gov esq jr sr st ste mt ft rd blvd corp inc ltd bros dept univ assn " \
            "assoc jan feb apr jun jul aug sep sept oct nov dec tue tues thu thur thurs fri oz lb lbs " \
            "hr hrs yr yrs wk wks misc govt natl intl asst avg pl fem masc nos", A, " ")
  for (i = 1; i <= n; i++) abbreviation[A[i]] = 1
  # Abbreviations that are also words ("under the sun."): only when capitalised ("Sun.").
  n = split("no mar mon wed sat sun gen col rev sen rep pres hon ed co mo sec sect fig figs est ave " \
            "min max", A, " ")
  for (i = 1; i <= n; i++) capital_abbreviation[A[i]] = 1
  n = split("and but then when so yet or nor if now thus lo behold yes no yea nay oh ah alas well here " \
            "there for as because since though although while until unless once after before what how " \
            "why where whom which that this these those do did can could shall should will would may " \
            "might must have had am were let even only also still indeed hence wherefore therefore " \
            "verily truly surely perhaps maybe sometimes today tomorrow yesterday whatever whenever " \
            "wherever whither whence neither either", O, " ")
  for (i = 1; i <= n; i++) opener[O[i]] = 1
  # festival's tok_section_name: a roman numeral after these is a number.
  n = split("chapter section part article phrase verse scene act book volume chap sect art vol war " \
            "fortran saturn trek", O, " ")
  for (i = 1; i <= n; i++) numbering[O[i]] = 1
}
# The letters and apostrophes of a word, apostrophes only between letters.
function core(w) {
  gsub(/[^A-Za-z']/, "", w)
  while (w ~ /^'/) w = substr(w, 2)
  while (w ~ /'$/) w = substr(w, 1, length(w) - 1)
  gsub(/'+/, "'", w)
  return w
}
{
  spoken = $0
  gsub(/-/, " ", spoken)
  gsub(/ +/, " ", spoken)
  sub(/^ /, "", spoken)
  sub(/ $/, "", spoken)
  n = split(spoken, W, " ")
  ok = 1
  prev = ""
  for (i = 1; i <= n && ok; i++) {
    c = core(W[i])
    lc = tolower(c)
    if (c == "") ok = 0
    else if (lc !~ /[aeiouy]/) ok = 0
    else if (length(c) == 1 && lc != "a" && lc != "i" && lc != "o") ok = 0
    else if (c ~ /[a-z][A-Z]/) ok = 0
    else if (lc == "ok") ok = 0
    else if (lc in abbreviation) ok = 0
    else if (c == "I" && prev ~ /^[A-Z]/ && !(i == 2 && (tolower(prev) in opener))) ok = 0
    else if (c == "I" && (tolower(prev) in numbering)) ok = 0
    prev = c
  }
  if (!ok) next
  rest = spoken
  sub(/[.!?]+$/, "", rest)
  if (rest ~ /\./) next
  c = core(W[n])
  if (W[n] ~ /[A-Za-z]\.$/ && c ~ /^[A-Z]/ && (tolower(c) in capital_abbreviation)) next
  text = tolower(spoken)
  gsub(/[^a-z']+/, " ", text)
  m = split(text, T, " ")
  text = ""
  k = 0
  for (i = 1; i <= m; i++) {
    w = T[i]
    while (w ~ /^'/) w = substr(w, 2)
    while (w ~ /'$/) w = substr(w, 1, length(w) - 1)
    gsub(/'+/, "'", w)
    if (w == "") continue
    text = text (k++ ? " " : "") w
  }
  if (k < minw || k > maxw) next
  print spoken "\t" text
}
