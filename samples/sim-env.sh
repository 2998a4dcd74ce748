#!/bin/sh
# sim-env.sh READY.json DIR - prints the UPQR_* environment (sample.h) that points
# the samples at a running upqr-sim, from its ready line; the PKCS#12 password
# goes into DIR/pfx-password (mode 600), never into the environment.
#   eval "$(sh samples/sim-env.sh ready.json /tmp/upqr-demo)"
set -eu
ready=$1
dir=$2
mkdir -p "$dir"
umask 077
python3 - "$ready" "$dir" <<'PY'
import json, os, shlex, sys
r = json.loads(open(sys.argv[1]).readline())
pw = os.path.join(sys.argv[2], "pfx-password")
with open(pw, "w") as f:
    f.write(r["pfxPassword"] + "\n")
env = {"UPQR_GATEWAY": r["baseUrl"], "UPQR_SIM_URL": r["baseUrl"], "UPQR_MER_ID": r["merId"],
       "UPQR_PFX": r["pfx"], "UPQR_PFX_PASSWORD_FILE": pw, "UPQR_ROOT_CERT": r["rootCert"],
       "UPQR_MIDDLE_CERT": r["middleCert"], "UPQR_ENCRYPT_CERT": r["encryptCert"]}
for k, v in env.items():
    print("export %s=%s" % (k, shlex.quote(v)))
PY
