#!/bin/sh
# Posts the reconciler's plan on a pull request (merge request) as ONE comment, updated on every push: the comment
# is found again by the marker `plan --format markdown` puts on its first line. Used by the CI recipes beside it
# (docs/forge.md); it needs curl and jq, nothing else.
#
#   plan-comment.sh github|gitea|gitlab PLAN_FILE
#
# Environment:
#   API_URL     the forge's API root: https://api.github.com, https://HOST/api/v1 (Gitea, Forgejo),
#               https://HOST/api/v4 (GitLab); https only: the token never travels over plain http
#   REPOSITORY  owner/name (GitLab: the project's full path or its numeric id)
#   NUMBER      the pull request's number (GitLab: the merge request's iid)
#   TOKEN       a token allowed to comment (docs/forge.md names the scope per forge); it is given to curl on its
#               standard input, never on its command line
set -eu

forge=${1:?usage: plan-comment.sh github|gitea|gitlab PLAN_FILE}
plan=${2:?usage: plan-comment.sh github|gitea|gitlab PLAN_FILE}
: "${API_URL:?set API_URL to the forge API root}" "${REPOSITORY:?set REPOSITORY}" "${NUMBER:?set NUMBER}"
: "${TOKEN:?set TOKEN to a token allowed to comment}"
marker='<!-- reconciler-plan -->'

case $API_URL in
https://*) ;;
*) echo "plan-comment.sh: API_URL must be https:// (the token is never sent over plain http): $API_URL" >&2; exit 1 ;;
esac
case $forge in
github) auth="Authorization: Bearer $TOKEN" ;;
gitea) auth="Authorization: token $TOKEN" ;;
gitlab) auth="PRIVATE-TOKEN: $TOKEN" ;;
*) echo "plan-comment.sh: unknown forge '$forge' (github, gitea or gitlab)" >&2; exit 1 ;;
esac

body=$(mktemp)
trap 'rm -f "$body"' EXIT
jq -Rs '{body: .}' <"$plan" >"$body"

# api METHOD URL [BODY_FILE]: the answer on stdout; the header with the token goes in through curl's config on stdin.
api() {
    printf 'header = "%s"\n' "$auth" | curl -q --config - --fail --silent --show-error --proto =https \
        --request "$1" --header 'Content-Type: application/json' --header 'Accept: application/json' \
        ${3:+--data-binary "@$3"} "$2"
}

if [ "$forge" = gitlab ]; then
    project=$(printf %s "$REPOSITORY" | jq -sRr @uri)
    list="$API_URL/projects/$project/merge_requests/$NUMBER/notes"
    one="$list"
    update=PUT
else
    list="$API_URL/repos/$REPOSITORY/issues/$NUMBER/comments"
    one="$API_URL/repos/$REPOSITORY/issues/comments"
    update=PATCH
fi

id=$(api GET "$list?per_page=100" | jq -r --arg m "$marker" '[.[] | select(.body | startswith($m))][0].id // empty')
if [ -n "$id" ]; then
    api "$update" "$one/$id" "$body" >/dev/null
    echo "updated the plan comment ($id)"
else
    api POST "$list" "$body" >/dev/null
    echo "posted the plan comment"
fi
