#!/usr/bin/env bash
# Fetches the FreeDict English-Arabic dictionary (Debian package dict-freedict-eng-ara,
# 87k headwords, GPL-2+) into a cache outside the repository, where retrieval finds it
# (retrieve.dictionary = "auto", rag/index/dictionary.py). It is read as data and never
# shipped with the project. No root needed: `apt-get download` fetches the .deb into a
# temporary folder and `dpkg-deb -x` unpacks it.
#
#   scripts/freedict.sh          fetch it unless it is there; prints the index path
#
# Best effort: without apt-get the dictionary is absent and English questions over Arabic
# sources use the embedding bridge alone (the README says what that costs).
set -u
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/rag-news/freedict"
NAME="freedict-eng-ara"
say() { echo "freedict: $*" >&2; }

if [ -s "$CACHE/$NAME.index" ] && [ -s "$CACHE/$NAME.dict.dz" ]; then
  echo "$CACHE/$NAME.index"; exit 0
fi
if [ -s "/usr/share/dictd/$NAME.index" ]; then
  echo "/usr/share/dictd/$NAME.index"; exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  say "no apt-get/dpkg-deb here: English questions over Arabic sources use the embedding bridge alone"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download drops privileges to _apt, which cannot write into a private temp folder
chmod 755 "$tmp"
if ! (cd "$tmp" && apt-get download -qq "dict-$NAME" >/dev/null 2>&1); then
  [ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1
  if ! (cd "$tmp" && apt-get download -qq "dict-$NAME" >/dev/null 2>&1); then
    say "could not download dict-$NAME: English questions over Arabic sources use the embedding bridge alone"
    exit 0
  fi
fi
dpkg-deb -x "$tmp"/dict-"$NAME"_*.deb "$tmp/x" || { say "could not unpack the package"; exit 0; }
mkdir -p "$CACHE"
# Index last: its presence is what says the dictionary is complete. Part files are named per
# process, so two runs at once each move a whole file into place.
cp "$tmp/x/usr/share/dictd/$NAME.dict.dz" "$CACHE/$NAME.dict.dz.part$$" \
  && mv "$CACHE/$NAME.dict.dz.part$$" "$CACHE/$NAME.dict.dz" \
  && cp "$tmp/x/usr/share/dictd/$NAME.index" "$CACHE/$NAME.index.part$$" \
  && mv "$CACHE/$NAME.index.part$$" "$CACHE/$NAME.index" \
  && cp "$tmp/x/usr/share/doc/dict-$NAME/copyright" "$CACHE/copyright" 2>/dev/null
say "installed into $CACHE (GPL-2+, read as data; see $CACHE/copyright)"
echo "$CACHE/$NAME.index"
