#!/usr/bin/env python3
"""Trunk post_build hook: puts the hashes of the built page's inline scripts into its
Content-Security-Policy.

index.html carries the policy as a <meta> tag whose script-src holds the placeholder
{{CSP_INLINE_SCRIPT_HASHES}}. Trunk writes its loader (and, under `trunk serve`, its
autoreload script) inline, with hashed file names that change with every build, so the
hashes are computed here on the final HTML in the staging folder. A missing placeholder
fails the build: a page whose loader the policy blocks would not start at all.
"""
import base64
import hashlib
import os
import re
import sys

PLACEHOLDER = "{{CSP_INLINE_SCRIPT_HASHES}}"

staging = os.environ.get("TRUNK_STAGING_DIR")
if not staging:
    sys.exit("csp-hashes: TRUNK_STAGING_DIR is not set (run me as a Trunk hook)")
path = os.path.join(staging, "index.html")
with open(path, encoding="utf-8") as f:
    html = f.read()
if PLACEHOLDER not in html:
    sys.exit(f"csp-hashes: {PLACEHOLDER} not found in {path}: the policy would block the loader")

# Under `trunk serve` the autoreload script gets its address and WebSocket base filled in
# when the page is served, which would change it after it was hashed. Fill them in here
# instead, as Trunk itself would (the page's own host; the public URL's path): then Trunk
# finds nothing left to replace and the hash holds.
if "{{__TRUNK_ADDRESS__}}" in html or "{{__TRUNK_WS_BASE__}}" in html:
    base = os.environ.get("TRUNK_PUBLIC_URL") or "/"
    if "://" in base:
        base = "/" + base.split("://", 1)[1].partition("/")[2]
    if not base.endswith("/"):
        base += "/"
    html = (html.replace("'{{__TRUNK_ADDRESS__}}'", "window.location.host")
                .replace("`{{__TRUNK_ADDRESS__}}`", "window.location.host")
                .replace("{{__TRUNK_WS_BASE__}}", base))

# The browser hashes exactly the text between <script ...> and </script>, for inline
# scripts only (no src attribute).
hashes = []
for attrs, body in re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I):
    if re.search(r"\bsrc\s*=", attrs, flags=re.I):
        continue
    digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
    hashes.append(f"'sha256-{digest}'")

html = html.replace(PLACEHOLDER, " ".join(dict.fromkeys(hashes)))
with open(path, "w", encoding="utf-8") as f:
    f.write(html)
print(f"csp-hashes: {len(hashes)} inline script(s) allowed by hash")
