#!/usr/bin/env python3
"""Independent recomputation of upqr CPM cryptograms from the layout in
docs/cpm.md (not from upqr's code): decode base64, walk BER-TLV, build the
37-byte input, derive keys, MAC, compare with 9F26.

    python3 tests/data/cpm-generated-check.py IMK_HEX BASE64     (CVN A1, option A)
    python3 tests/data/cpm-generated-check.py --aes MK_HEX BASE64 (CVN A2)

Needs the Python `cryptography` package. Not part of `make check`; used
once to confirm tests/data/cpm-generated.tsv."""
import base64, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES

def tlv(buf):
    i, out = 0, []
    while i < len(buf):
        t = buf[i]; i += 1
        tag = bytes([t])
        if t & 0x1F == 0x1F:
            while True:
                tag += bytes([buf[i]]); i += 1
                if not tag[-1] & 0x80: break
        l = buf[i]; i += 1
        if l == 0x81: l = buf[i]; i += 1
        elif l == 0x82: l = buf[i] << 8 | buf[i+1]; i += 2
        v = buf[i:i+l]; i += l
        out.append((tag.hex().upper(), v, t & 0x20 != 0))
    return out

def flatten(buf, d=None):
    d = {} if d is None else d
    for tag, v, cons in tlv(buf):
        if cons: flatten(v, d)
        else: d.setdefault(tag, v)
    return d

def des_ecb(key, data, enc=True):
    k = key * 3 if len(key) == 8 else key + key[:8]
    c = Cipher(TripleDES(k), modes.ECB())
    x = c.encryptor() if enc else c.decryptor()
    return x.update(data) + x.finalize()

def parity(k):
    return bytes((b & 0xFE) | (bin(b & 0xFE).count("1") % 2 == 0) for b in k)

def mac3(sk, data):
    data = data + b"\x80" + b"\x00" * ((8 - (len(data) + 1) % 8) % 8)
    h = bytes(8)
    for i in range(0, len(data), 8):
        h = des_ecb(sk[:8], bytes(a ^ b for a, b in zip(h, data[i:i+8])))
    return des_ecb(sk[:8], des_ecb(sk[8:], h, False))

def main():
    aes = sys.argv[1] == "--aes"
    key = bytes.fromhex(sys.argv[2 if aes else 1]); text = sys.argv[-1]
    d = flatten(base64.b64decode(text, validate=True))
    t2 = d["57"].hex().upper(); pan = t2.split("D")[0]
    psn = d.get("5F34", b"\x00").hex()
    iad = d["9F10"]
    # An absent amount is FF x 6 (no n12 value has that form).
    inp = (d.get("9F02", b"\xff" * 6) + bytes(6) + d["9F1A"] + bytes(5) + d["5F2A"] + d["9A"] + d["9C"]
           + d["9F37"] + d["82"] + d["9F36"] + iad[3:7])
    assert len(inp) == 37
    atc = d["9F36"]
    if aes:
        assert iad[2] == 0xA2
        e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        sk = e.update(atc + bytes(14)) + e.finalize()
        c = CMAC(algorithms.AES(sk)); c.update(inp); ac = c.finalize()[:8]
    else:
        assert iad[2] == 0xA1
        y = bytes.fromhex((pan + psn)[-16:].zfill(16))
        mk = parity(des_ecb(key, y + bytes(b ^ 0xFF for b in y)))
        r = atc + bytes(6)
        sk = parity(des_ecb(mk, r[:2] + b"\xF0" + r[3:] + r[:2] + b"\x0F" + r[3:]))
        ac = mac3(sk, inp)
    print("input", inp.hex().upper())
    print("ARQC computed", ac.hex().upper(), "payload", d["9F26"].hex().upper(),
          "MATCH" if ac == d["9F26"] else "MISMATCH")
    sys.exit(0 if ac == d["9F26"] else 1)

main()
