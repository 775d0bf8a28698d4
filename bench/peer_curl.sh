#!/usr/bin/env bash
# The peer an operator might script instead of fleet: one job per project under GNU parallel,
# two curl calls each (GET, then PUT of the profile). Usage: peer_curl.sh BASE SPACE PROJECT TOKEN
set -u
url="${1//\{space\}/$2}/sip_profile"
body='{"default_encryption":"required","default_codecs":["OPUS","G722","PCMU"],"default_ciphers":["AEAD_AES_256_GCM_8"]}'
curl -sf -o /dev/null -u "$3:$4" "$url" || exit 1
curl -sf -o /dev/null -u "$3:$4" -X PUT -H 'Content-Type: application/json' --data "$body" "$url"
