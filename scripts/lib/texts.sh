# shellcheck shell=bash
# The texts the speech scripts read aloud, from Debian packages, offline: which packages hold them,
# whether they are here, and their text one piece a line (a fortune cookie, a Bible verse, a
# paragraph of the Jargon File), ready for scripts/lib/sentences.awk. Sourced by make_sentences.sh.
#   fortunes  fortune cookies of fortunes-min and fortunes (/usr/share/games/fortunes), minus the
#             ascii-art pictures and the "-- Author" lines under a cookie
#   bible     the King James Bible through bible-kjv's 'bible' program, verse numbers cut off
#   jargon    the Jargon File of jargon-text (/usr/share/doc/jargon-text/jargon.txt.gz): its
#             paragraphs, without the entry headings (":word: n.") and the [etymologies]; its
#             typographic quotes and dashes become ASCII (closing single quotes inside a word an
#             apostrophe), other non-ASCII characters stay (and sentences.awk drops their sentences)
TEXTS_ALL=(fortunes bible jargon)
TEXTS_JARGON_FILE=/usr/share/doc/jargon-text/jargon.txt.gz

# texts_packages NAME: the Debian packages that text comes from.
texts_packages() {
  case $1 in
    fortunes) echo "fortunes-min fortunes" ;;
    bible) echo "bible-kjv bible-kjv-text" ;;
    jargon) echo "jargon-text" ;;
  esac
}

# texts_fortune_files: the fortune files, one a line (sorted: the glob sorts under LC_ALL=C).
texts_fortune_files() {
  local f
  for f in /usr/share/games/fortunes/*; do
    [[ -f $f && $f != *.dat && $f != *.u8 && ${f##*/} != ascii-art ]] && echo "$f"
  done
  return 0
}

# text_ready NAME: whether the text is here. Sets TEXT_MISSING to what is lacking when it is not.
text_ready() {
  TEXT_MISSING=""
  case $1 in
    fortunes) [[ -n $(texts_fortune_files) ]] || TEXT_MISSING="fortune files (apt-get install fortunes-min fortunes)" ;;
    bible) command -v bible >/dev/null || TEXT_MISSING="the bible program (apt-get install bible-kjv)" ;;
    jargon)
      if [[ ! -s $TEXTS_JARGON_FILE ]]; then
        if dpkg-query -W -f='${Status}' jargon-text 2>/dev/null | grep -q "install ok installed"; then
          TEXT_MISSING="$TEXTS_JARGON_FILE (jargon-text is installed without it: a dpkg path-exclude for /usr/share/doc?)"
        else
          TEXT_MISSING="$TEXTS_JARGON_FILE (apt-get install jargon-text)"
        fi
      fi ;;
    *) TEXT_MISSING="a text named '$1' (known: ${TEXTS_ALL[*]})" ;;
  esac
  [[ -z $TEXT_MISSING ]]
}

# text_lines NAME: the text, one piece a line, on stdout.
text_lines() {
  case $1 in
    fortunes)
      local -a files
      mapfile -t files < <(texts_fortune_files)
      awk 'BEGIN { RS = "%\n" }
           { n = split($0, L, "\n"); t = ""
             for (i = 1; i <= n; i++) { if (L[i] ~ /^[ \t]*--/) break; t = t " " L[i] }
             print t }' "${files[@]}" ;;
    bible) bible -f gen1:1-rev22:21 | sed 's/^[^ ]* //' ;;
    jargon)
      # UTF-8 byte sequences (LC_ALL=C): no-break space; left/right double quotes; left single
      # quote; right single quote (apostrophe before a letter, else a closing quote); em dash.
      gzip -dc "$TEXTS_JARGON_FILE" |
        sed -e $'s/\xc2\xa0/ /g' -e $'s/\xe2\x80[\x9c\x9d]/"/g' -e $'s/\xe2\x80\x98//g' \
            -e $'s/\xe2\x80\x99\\([A-Za-z]\\)/\'\\1/g' -e $'s/\xe2\x80\x99//g' -e $'s/\xe2\x80\x94/ -- /g' |
        awk 'function flush() { if (p != "") { gsub(/\[[^]]*\]/, " ", p); print p }; p = "" }
             /^[ \t]*$/ { flush(); next }
             /^[ \t]*:[^ ][^:]*:/ { flush(); next }
             { sub(/^[ \t]+/, ""); p = p " " $0 }
             END { flush() }' ;;
  esac
}

# text_versions NAME...: "package=version" of each text's packages, space-separated.
text_versions() {
  local t p out=""
  for t in "$@"; do
    for p in $(texts_packages "$t"); do
      out+="$p=$(dpkg-query -W -f='${Version}' "$p" 2>/dev/null || echo none) "
    done
  done
  echo "${out% }"
}

# texts_mark_capitals: replaces every word holding two capitals in a row (IBM, OK, NASA's, A-OK)
# by "0", so sentences.awk, which keeps no sentence with a digit, drops its sentence (an engine
# would spell it out, or read it as a word: either way not what a lower-case transcript says).
texts_mark_capitals() {
  awk '{ n = split($0, W, /[ \t]+/); s = ""
         for (i = 1; i <= n; i++) { w = W[i]; if (w ~ /[A-Z][A-Z]/) w = "0"; s = s (i > 1 ? " " : "") w }
         print s }'
}

# text_sentences NAME MINW MAXW: the sentences of a text an engine reads as their transcript, one
# "SPOKEN<tab>TEXT" a line (scripts/lib/transcripts.awk), in the text's order, duplicates kept.
# The Bible's capitals are words (LORD, GOD: written Lord, God by sentences.awk, so engines read
# them as words); elsewhere a word with two capitals in a row drops its sentence. The Jargon File's
# cross-references ("See also foo.", "Compare bar.") are left out: a tenth of it, all alike.
text_sentences() {
  local lib
  lib=$(dirname "${BASH_SOURCE[0]}")
  if [[ $1 == bible ]]; then text_lines "$1"; else text_lines "$1" | texts_mark_capitals; fi |
    awk -v banned= -v minw=1 -v maxw="$3" -f "$lib/sentences.awk" |
    awk -v minw="$2" -v maxw="$3" -f "$lib/transcripts.awk" |
    if [[ $1 == jargon ]]; then { grep -v -E '^(See|Compare|Contrast|Oppose|Also|Cf) ' || true; }; else cat; fi
  return 0
}
