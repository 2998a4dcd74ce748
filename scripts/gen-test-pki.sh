#!/bin/sh
# gen-test-pki.sh DIR - generates a private test PKI that mirrors UnionPay's
# (spec/acquirer.md §2.3, §6.6) with the openssl command line. Nothing here is
# secret or committed: `make` runs it once into build/pki.
#
#   root.pem, middle.pem         "SIM TEST CS CA" -> "SIM TEST OCA1", SHA-1-signed
#                                like the real CFCA chain (needs auth level 1)
#   upop_sign.{pem,key}          UnionPay signing leaf, CN 041@…@中国银联股份有限公司@…
#   upop_sign_testcn.pem         same key, test-environment CN (…@00040000:SIGN@…)
#   upop_sign_wrongorg.pem       same key, another organisation in field 3
#   upop_sign_short.pem          same key, CN with only two '@' fields
#   upop_sign_expired.pem        same key, valid 2020-01-01 .. 2021-01-01
#   upop_sign_notyet.pem         same key, valid from 2099-01-01
#   rogue.{pem,key}              self-signed, UnionPay CN: must never verify
#   merchant.{key,pem,pfx}       merchant signing key; PKCS#12 password 000000
#   merchant_legacy.pfx          same, RC2-40/3DES bags (needs the legacy provider)
#   merchant_enc.key             the merchant key as encrypted PEM (password 000000)
#   enc.{key,pem}                UnionPay sensitive-information encryption cert
#   enc_next, enc_expired, enc_rogue  encryption certs for the 95/00 update tests (below)
set -eu
dir=${1:-build/pki}
[ -f "$dir/.done" ] && exit 0
rm -rf "$dir"
mkdir -p "$dir/ca"
cd "$dir"
export OPENSSL_CONF=/dev/null

UP='中国银联股份有限公司'
key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null; }

cat >ca.cnf <<CNF
[ ca ]
default_ca = sim
[ sim ]
dir = ca
database = ca/index.txt
new_certs_dir = ca
serial = ca/serial
default_md = sha256
policy = any
unique_subject = no
copy_extensions = none
[ any ]
commonName = supplied
[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ leaf ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = clientAuth, emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ encleaf ]
basicConstraints = CA:false
keyUsage = critical, keyEncipherment, dataEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
: >ca/index.txt
echo 1046900150 >ca/serial

# issue NAME SUBJECT KEY ISSUER EXT START END
issue() {
	openssl req -new -utf8 -key "$3.key" -subj "$2" -out "ca/$1.csr" 2>/dev/null
	openssl ca -batch -config ca.cnf -utf8 -preserveDN -notext -in "ca/$1.csr" -out "$1.pem" \
		-cert "$4.pem" -keyfile "$4.key" -extensions "$5" -startdate "$6" -enddate "$7" \
		-md "${MD:-sha256}" 2>/dev/null
}

# Fixed validity dates everywhere, so that tests can verify "archived" messages
# at fixed times whatever day the PKI was generated.
key root
openssl req -new -utf8 -key root.key -subj "/C=CN/O=China Financial Certification Authority/CN=SIM TEST CS CA" \
	-out ca/root.csr 2>/dev/null
openssl ca -batch -config ca.cnf -selfsign -utf8 -preserveDN -notext -in ca/root.csr -out root.pem \
	-keyfile root.key -extensions v3_root -startdate 20190101000000Z -enddate 20450101000000Z -md sha1 2>/dev/null
key middle
MD=sha1 issue middle "/C=CN/O=China Financial Certification Authority/CN=SIM TEST OCA1" middle root v3_ca \
	20200101000000Z 20400101000000Z

key upop
leaf_dn() { echo "/C=cn/O=CFCA OCA1/OU=Local RA OCA1/OU=Enterprises/CN=$1"; }
issue upop_sign "$(leaf_dn "041@8310000000083040@$UP@00016495")" upop middle leaf 20200101000000Z 20391231000000Z
issue upop_sign_testcn "$(leaf_dn '041@Z1200040000:SIGN@00040000:SIGN@00000002')" upop middle leaf 20200101000000Z 20391231000000Z
issue upop_sign_wrongorg "$(leaf_dn '041@8310000000083040@某某支付有限公司@00016495')" upop middle leaf 20200101000000Z 20391231000000Z
issue upop_sign_short "$(leaf_dn "041@$UP")" upop middle leaf 20200101000000Z 20391231000000Z
issue upop_sign_expired "$(leaf_dn "041@8310000000083040@$UP@00016495")" upop middle leaf 20200101000000Z 20210101000000Z
issue upop_sign_notyet "$(leaf_dn "041@8310000000083040@$UP@00016495")" upop middle leaf 20990101000000Z 20991231000000Z
cp upop.key upop_sign.key

key rogue
openssl req -new -x509 -utf8 -key rogue.key -days 7300 -out rogue.pem \
	-subj "$(leaf_dn "041@8310000000083040@$UP@00016495")"

key merchant
issue merchant "$(leaf_dn '041@Z2014-11-11@700000000000001:SIGN@00000003')" merchant middle leaf 20200101000000Z 20391231000000Z
cat middle.pem root.pem >chain.pem
openssl pkcs12 -export -inkey merchant.key -in merchant.pem -certfile chain.pem -passout pass:000000 \
	-name merchant -out merchant.pfx
openssl pkcs12 -export -legacy -inkey merchant.key -in merchant.pem -certfile chain.pem \
	-passout pass:000000 -name merchant -out merchant_legacy.pfx 2>/dev/null || :
openssl pkey -in merchant.key -aes256 -passout pass:000000 -out merchant_enc.key

key enc
issue enc "$(leaf_dn "041@8310000000083040@$UP@00000002")" enc middle encleaf 20200101000000Z 20391231000000Z

rm -f ca/*.csr
touch .done

# ---- simulator ---------------------------------------------------------------
# What upqr-sim (sim/) needs on top of the above; self-contained, reuses issue().
#   sim_tls_ca.pem               self-signed CA of the simulator's HTTPS server
#   sim_tls.{pem,key}            server certificate for 127.0.0.1 and localhost
#   upop_sign_sha1.pem           upop_sign re-issued with a SHA-1 signature (whole chain SHA-1)
#   merchant2.{key,pem,pfx}      a second merchant (PKCS#12 password 000000)
#   sim_certdir/                 UnionPay's 5.0.0 verify certificate (upop_sign.pem), by certId
key sim_tls_ca
openssl req -new -x509 -utf8 -key sim_tls_ca.key -days 7300 -out sim_tls_ca.pem \
	-subj "/C=CN/O=upqr simulator/CN=SIM TLS CA" 2>/dev/null
key sim_tls
openssl req -new -key sim_tls.key -subj "/C=CN/O=upqr simulator/CN=127.0.0.1" -out ca/sim_tls.csr 2>/dev/null
printf 'basicConstraints=CA:false\nkeyUsage=critical,digitalSignature,keyEncipherment\n%s\n%s\n' \
	'extendedKeyUsage=serverAuth' 'subjectAltName=IP:127.0.0.1,DNS:localhost' >ca/sim_tls.ext
openssl x509 -req -in ca/sim_tls.csr -CA sim_tls_ca.pem -CAkey sim_tls_ca.key -set_serial 7001 \
	-days 7300 -sha256 -extfile ca/sim_tls.ext -out sim_tls.pem 2>/dev/null
MD=sha1 issue upop_sign_sha1 "$(leaf_dn "041@8310000000083040@$UP@00016495")" upop middle leaf \
	20200101000000Z 20391231000000Z
key merchant2
issue merchant2 "$(leaf_dn '041@Z2014-11-11@700000000000002:SIGN@00000004')" merchant2 middle leaf \
	20200101000000Z 20391231000000Z
openssl pkcs12 -export -inkey merchant2.key -in merchant2.pem -certfile chain.pem -passout pass:000000 \
	-name merchant2 -out merchant2.pfx
mkdir -p sim_certdir
cp upop_sign.pem sim_certdir/
rm -f ca/*.csr ca/sim_tls.ext

# ---- attack certificates for the verifier tests (issue 8) -------------------
# All chain to SIM TEST OCA1 and carry UnionPay's CN unless noted; each must
# be refused for exactly one reason (tests/unit/test_sign_keys.c):
#   upop_sign_enconly.pem   keyUsage keyEncipherment only (encryption cert)
#   upop_sign_ca.pem        basicConstraints CA:TRUE
#   upop_sign_tls.pem       a TLS server certificate (extendedKeyUsage serverAuth)
#   upop_sign_noku.pem      no keyUsage / extendedKeyUsage at all: accepted
#   upop_sign_cn5.pem       CN with five '@' fields
#   upop_sign_cnempty.pem   CN with an empty '@' field
#   upop_sign_bmp.pem       CN encoded as a BMPString
#   merchant_expired.pem    the merchant key's certificate, valid 2020-01-01 .. 2021-01-01
# (A NUL inside a CN and UniversalString cannot be written with the openssl
# command line; the unit test mints those two with the OpenSSL API.)
rm -f .done
cp ca.cnf attack.cnf
cat >>attack.cnf <<CNF
[ atk_ca ]
basicConstraints = critical, CA:true
keyUsage = critical, digitalSignature, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ atk_tls ]
basicConstraints = CA:false
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ atk_noku ]
basicConstraints = CA:false
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF
# string_mask "default" lets openssl pick BMPString for the Chinese characters.
printf '[ req ]\nstring_mask = default\ndistinguished_name = dn\n[ dn ]\n' >req_bmp.cnf
# attack NAME CN EXT [REQ-CONFIG]
attack() {
	openssl req -new -utf8 ${4:+-config "$4"} -key upop.key -subj "$(leaf_dn "$2")" -out "ca/$1.csr" 2>/dev/null
	openssl ca -batch -config attack.cnf -utf8 -preserveDN -notext -in "ca/$1.csr" -out "$1.pem" \
		-cert middle.pem -keyfile middle.key -extensions "$3" \
		-startdate 20200101000000Z -enddate 20391231000000Z -md sha256 2>/dev/null
}
CN_OK="041@8310000000083040@$UP@00016495"
attack upop_sign_enconly "$CN_OK" encleaf
attack upop_sign_ca "$CN_OK" atk_ca
attack upop_sign_tls "$CN_OK" atk_tls
attack upop_sign_noku "$CN_OK" atk_noku
attack upop_sign_cn5 "041@8310000000083040@$UP@00016495@x" leaf
attack upop_sign_cnempty "041@@$UP@00016495" leaf
attack upop_sign_bmp "$CN_OK" leaf req_bmp.cnf
issue merchant_expired "$(leaf_dn '041@Z2014-11-11@700000000000001:SIGN@00000003')" merchant middle leaf \
	20200101000000Z 20210101000000Z

# ---- encryption certificates for the 95/00 update (acquirer) ---------------
#   enc_next.{key,pem}      a rotated encryption certificate (new key, same chain)
#   enc_expired.pem         the enc key, valid 2020-01-01 .. 2021-01-01
#   enc_rogue.pem           self-signed, keyEncipherment, UnionPay CN: must be refused
key enc_next
issue enc_next "$(leaf_dn "041@8310000000083040@$UP@00000003")" enc_next middle encleaf 20200101000000Z 20391231000000Z
issue enc_expired "$(leaf_dn "041@8310000000083040@$UP@00000002")" enc middle encleaf 20200101000000Z 20210101000000Z
openssl req -new -x509 -utf8 -key rogue.key -days 7300 -out enc_rogue.pem \
	-subj "$(leaf_dn "041@8310000000083040@$UP@00000002")" \
	-addext "keyUsage=critical,keyEncipherment,dataEncipherment" -addext "basicConstraints=CA:false" 2>/dev/null
rm -f ca/*.csr
touch .done
