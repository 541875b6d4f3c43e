#!/usr/bin/env bash
# The man pages of docs/man as a reader's man(1) and mandoc(1) meet them:
#  - `mandoc -Tlint -W warning PAGE` prints nothing (warnings, errors);
#  - man(1) formats the page at 80 columns with every groff warning on, and
#    nothing reaches stderr (groff -ww -man -z when man-db is not installed);
#  - every page has NAME, SYNOPSIS (not required in section 5), DESCRIPTION
#    and SEE ALSO;
#  - every document a page points to (share/doc/clusterd/NAME) is docs/NAME
#    and is in CLUSTERD_DOCS of docs/man/CMakeLists.txt, the list installed
#    under /usr/share/doc/clusterd: the long references live in docs/ only,
#    and a pointer must resolve on an installed host.
# Every problem of every page is reported, then the test fails.
# usage: man_lint.sh SOURCE_DIR
# Needs: mandoc (package mandoc), and man-db or groff-base.
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 SOURCE_DIR" >&2
  exit 2
fi
src=$1
dir=$src/docs/man

if ! command -v mandoc >/dev/null 2>&1; then
  echo "man_lint: mandoc not found: install it (apt-get install mandoc)" >&2
  exit 2
fi
if command -v man >/dev/null 2>&1; then
  formatter="man"
elif command -v groff >/dev/null 2>&1; then
  formatter="groff"
else
  echo "man_lint: neither man nor groff found: install man-db or groff-base" >&2
  exit 2
fi

shopt -s nullglob
pages=("$dir"/*.[1-9])
if [[ ${#pages[@]} -eq 0 ]]; then
  echo "man_lint: no man pages in $dir" >&2
  exit 1
fi

failed=0
fail() {  # PAGE MESSAGE [DETAIL]
  echo "FAIL ${1#"$src"/}: $2"
  if [[ -n ${3:-} ]]; then
    printf '%s\n' "$3" | sed 's/^/    /'
  fi
  failed=$((failed + 1))
}

for page in "${pages[@]}"; do
  before=$failed

  out=$(mandoc -Tlint -W warning "$page" 2>&1 || true)
  if [[ -n $out ]]; then
    fail "$page" "mandoc -Tlint -W warning reports problems" "$out"
  fi

  if [[ $formatter == man ]]; then
    err=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 MANPAGER=cat PAGER=cat \
      man --warnings=w -l "$page" 2>&1 >/dev/null || true)
    what="man --warnings=w -l (MANWIDTH=80)"
  else
    err=$(LC_ALL=C.UTF-8 groff -ww -t -man -Tutf8 -z "$page" 2>&1 || true)
    what="groff -ww -man -z"
  fi
  if [[ -n $err ]]; then
    fail "$page" "$what prints warnings" "$err"
  fi

  # Sections: from the page's .TH line, and the .SH headings as written.
  th=$(sed -n 's/^\.TH[[:space:]]\{1,\}//p' "$page" | head -n 1)
  if [[ -z $th ]]; then
    fail "$page" "no .TH line"
    continue
  fi
  read -r _ section _ <<<"$th"
  headings=$(sed -n 's/^\.SH[[:space:]]\{1,\}//p' "$page" | tr -d '"' | sed 's/[[:space:]]*$//')
  required=(NAME DESCRIPTION "SEE ALSO")
  [[ $section == 5* ]] || required+=(SYNOPSIS)
  for want in "${required[@]}"; do
    if ! grep -qxF -- "$want" <<<"$headings"; then
      fail "$page" "no $want section (.SH $want)"
    fi
  done

  # Pointers into share/doc/clusterd (examples/ is installed from etc/).
  installed_docs=$(sed -n '/^set(CLUSTERD_DOCS/,/^)/p' "$dir/CMakeLists.txt" | sed '1d;$d' | tr -d ' ')
  while IFS= read -r doc; do
    [[ -z $doc || $doc == examples ]] && continue
    if [[ ! -f $src/docs/$doc ]]; then
      fail "$page" "points to share/doc/clusterd/$doc, but there is no docs/$doc"
    elif ! grep -qxF -- "$doc" <<<"$installed_docs"; then
      fail "$page" "points to share/doc/clusterd/$doc, which CLUSTERD_DOCS in docs/man/CMakeLists.txt does not install"
    fi
  done < <(sed -e 's/\\-/-/g' -e 's/\\%//g' "$page" | grep -o 'share/doc/clusterd/[A-Za-z0-9._-]*' |
    sed 's|.*/||' | sort -u)

  [[ $failed -eq $before ]] && echo "ok   ${page#"$src"/}"
done

if [[ $failed -ne 0 ]]; then
  echo "man_lint: $failed problem(s) in ${#pages[@]} page(s)"
  exit 1
fi
echo "man_lint: ${#pages[@]} pages clean (mandoc, $formatter)"
