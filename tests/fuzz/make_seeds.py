#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/NAME (checked in).

Run from a configured and built tree (gcc is fine):  python3 tests/fuzz/make_seeds.py
The card and record seeds come from the built harnesses: the card's from the virtual card
tests/fixtures/vcard.py answering the commands fuzz_card sends (REGS_FUZZ_TRACE), the records'
from the real encoders (REGS_FUZZ_RECORD_SEEDS). Everything else is made here with
python3-cryptography. Keys and times are random or fixed at will: the harnesses re-sign.
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import types

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SRC, "tests", "fixtures"))

T0 = datetime.datetime(2023, 11, 14, 22, 13, 20)  # FUZZ_NOW
FUZZ_CA = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                     x509.NameAttribute(NameOID.ORGANIZATION_NAME, "pam_regs"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "regs fuzz CA")])
TXN = "3f2b8c1e-5d4a-4e6b-9c7d-0a1b2c3d4e5f"
TICKET_ID = "tkt-0001"
HASHED = "5a2f6c0e9b7d4a31c8e2f1d0b9a8c7e6f5d4c3b2a1908f7e6d5c4b3a29181706"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def write(corpus, name, data):
    d = os.path.join(HERE, "corpus", corpus)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- CRLs (TBSCertList, as fuzz_crl takes them) and certificates

def crl_seeds():
    key = ec.generate_private_key(ec.SECP256R1())
    def build(n, exts=()):
        b = x509.CertificateRevocationListBuilder().issuer_name(FUZZ_CA).last_update(T0) \
            .next_update(T0 + datetime.timedelta(days=7))
        for i in range(n):
            r = x509.RevokedCertificateBuilder().serial_number(0x0A1B2C3D + i * 7919) \
                .revocation_date(T0).build()
            b = b.add_revoked_certificate(r)
        for e, crit in exts:
            b = b.add_extension(e, crit)
        return b.sign(key, hashes.SHA256()).tbs_certlist_bytes
    write("crl", "empty", build(0))
    write("crl", "three", build(3))
    write("crl", "extensions", build(2, exts=[
        (x509.CRLNumber(42), False),
        (x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), False),
        (x509.IssuingDistributionPoint([x509.UniformResourceIdentifier("http://crl.example/a.crl")], None, True, False, None, False, False), True)]))
    write("crl", "delta", build(1, exts=[(x509.DeltaCRLIndicator(41), True)]))
    write("crl", "many", build(40))


def cert(subject, key, issuer=None, issuer_key=None, ca=False, serial=0x0A1B2C3D, exts=()):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer or subject)
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(T0 - datetime.timedelta(days=365))
         .not_valid_after(T0 + datetime.timedelta(days=3650))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=not ca,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                                      encipher_only=False, decipher_only=False), critical=True))
    for e in exts:
        b = b.add_extension(e, critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


def der(c):
    return c.public_bytes(serialization.Encoding.DER)


def x509_seeds():
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = cert(FUZZ_CA, ca_key, ca=True, serial=1)
    write("x509", "ca", der(ca))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    citizen = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "TW"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "王小明"),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, "0000000112831644")])
    # Subject Directory Attributes (2.5.29.9) with the ID number's last digits (2.16.886.1.100.2.51)
    sda = bytes.fromhex("3013" "3011" "0607608676016402" "33" "3106" "1304") + b"6789"
    leaf = cert(citizen, leaf_key, FUZZ_CA, ca_key, exts=[
        x509.UnrecognizedExtension(ObjectIdentifier("2.5.29.9"), sda),
        x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
        x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key())])
    write("x509", "citizen", der(leaf))
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write("x509", "rsa_leaf", der(cert(citizen, rsa_key, FUZZ_CA, ca_key, serial=-5 & 0xFFFF)))
    return leaf_key, leaf, rsa_key


# ---- JSON: JWT, JWKS, OIDC answers, mobile ID

def jwt_seeds():
    header = {"alg": "RS256", "kid": "fuzz", "typ": "JWT"}
    claims = {"iss": "https://accounts.google.com", "azp": "fuzz-client.apps.googleusercontent.com",
              "aud": "fuzz-client.apps.googleusercontent.com", "sub": "110169484474386276334",
              "email": "alice@gmail.com", "email_verified": True, "iat": 1700000000,
              "exp": 1700003600, "nonce": "fuzz-nonce"}
    def put(name, h, c):
        write("jwt", name, json.dumps(h, separators=(",", ":")) + "\n" + json.dumps(c))
    put("good", header, claims)
    put("two_audiences", header, dict(claims, aud=["other", claims["aud"]]))
    put("expired", {"alg": "RS256", "typ": "JWT"}, dict(claims, exp=1600000000, email="x@y\u00e9"))
    put("crit", dict(header, crit=["exp"]), claims)
    put("none_alg", {"alg": "none"}, {"sub": "1"})
    write("jwt", "compact", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl")


def jwks_seeds():
    keys = []
    for bits in (2048, 3072):
        n = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key() \
            .public_numbers().n
        keys.append({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k%d" % bits,
                     "n": b64u(n.to_bytes((n.bit_length() + 7) // 8, "big")), "e": "AQAB"})
    write("jwks", "google", json.dumps({"keys": keys}))
    write("jwks", "mixed", json.dumps({"keys": [
        {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
         "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0", "kid": "ec"},
        dict(keys[0], use="enc"), dict(keys[0], kid=7), dict(keys[0], e="AQ")]}))
    write("jwks", "empty", '{"keys":[]}')


def oidc_seeds():
    write("oidc", "discovery", json.dumps({
        "issuer": "https://accounts.google.com",
        "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
        "device_authorization_endpoint": "https://oauth2.googleapis.com/device/code",
        "token_endpoint": "https://oauth2.googleapis.com/token",
        "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs",
        "response_types_supported": ["code", "id_token"]}))
    write("oidc", "discovery_loopback", json.dumps({
        "issuer": "http://127.0.0.1:8443", "device_authorization_endpoint": "http://[::1]:1/d",
        "token_endpoint": "http://localhost/t", "jwks_uri": "http://user@127.0.0.1/j"}))
    write("oidc", "device_google", json.dumps({
        "device_code": "AH-1Ng2", "user_code": "GQVQ-JKEC", "expires_in": 1800,
        "interval": 5, "verification_url": "https://www.google.com/device"}))
    write("oidc", "device_azure", json.dumps({
        "device_code": "DAQABAAEAAAD", "user_code": "FDHNT4Q9D", "expires_in": "900",
        "verification_uri": "https://microsoft.com/devicelogin",
        "verification_uri_complete": "https://microsoft.com/devicelogin?code=FDH"}))
    write("oidc", "token", json.dumps({"access_token": "ya29", "expires_in": 3599,
                                       "id_token": "eyJ.eyJ.sig", "token_type": "Bearer"}))
    write("oidc", "pending", '{"error":"authorization_pending","error_description":"wait"}')
    write("oidc", "slow_down", '{"error":"slow_down"}')


def strictjson_seeds():
    write("strictjson", "nested", '{"a":{"b":[1,2.5e3,-0,true,false,null],"c":"\\u00e9\\ud83d\\ude00"}}')
    write("strictjson", "strings", '{"plain":"x","nul":"a\\u0000b","esc":"\\"\\\\\\/\\b\\f\\n\\r\\t"}  \n')
    write("strictjson", "utf8", '{"名字":"王小明","k":"\u00e9"}')
    write("strictjson", "dup", '{"k":1,"k":2}')


def mid_ticket(txn=TXN):
    body = b64u(json.dumps({"transaction_id": txn, "op_code": "ATH", "op_mode": "I-SCAN",
                            "sp_service_id": "regs-test-sp", "sp_ticket_id": TICKET_ID,
                            "sp_name": "regs", "hint": "login", "expiration_time": 1700000180,
                            "hashed_id_num": HASHED, "version": "1.0"}).encode())
    return body + "." + b64u(hashlib.sha256(body.encode()).digest())


def mobileid_seeds():
    def put(name, doc):
        write("mobileid", name, json.dumps(doc, separators=(",", ":")))
    put("ticket_answer", {"error_code": "0", "error_message": "",
                          "result": {"sp_ticket": mid_ticket(), "idp_checksum": "x"}})
    put("ticket_other_txn", {"error_code": "0", "result": {
        "sp_ticket": mid_ticket("00000000-0000-4000-8000-000000000000"), "idp_checksum": ""}})
    put("result", {"error_code": "0", "error_message": "", "result": {
        "hashed_id_num": HASHED, "signed_response": "SIGN", "cert": "CERT", "idp_checksum": ""}})
    put("result_no_checksum", {"error_code": "0", "result": {
        "hashed_id_num": HASHED, "signed_response": "SIGN", "cert": "CERT"}})
    put("pending", {"error_code": "20002", "error_message": "waiting"})
    put("expired", {"error_code": "20001", "error_message": "timeout"})
    put("denied", {"error_code": "20004"})
    write("mobileid", "key", "QkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkI=\n")


# ---- Configuration and module arguments

def config_seeds():
    with open(os.path.join(SRC, "data", "regs.conf")) as f:
        write("config", "regs.conf", f.read())
    write("config", "everything", "\n".join([
        "state_dir = /var/lib/regs", "issuer = 臺大 login", "lock_threshold = 3",
        "smtp_starttls = optional", "crl_policy = allow", "crl_urls = http://a/x.crl https://b/y.crl",
        "oidc_issuer=https://accounts.google.com", "mobile_time_limit = 180",
        "# comment", "   ", "unknown_key = 1", "lock_minutes = 99999999999", "no equals sign",
        "issuer = " + "x" * 300]) + "\n")
    write("options", "otp", "otp\nfailmode=open\ntimeout=3000\ndebug")
    write("options", "authfail", "authfail\0enrol=inline\0timeout=99")
    write("options", "bad", "failmode=\nenrol=maybe\ntimeout=12x\nfoo")


# ---- Small texts

def text_seeds():
    write("base32", "secret", b"\x20JBSWY3DPEHPK3PXP")
    write("base32", "padded", b"\x10jbsw y3dp ehpk 3pxp====")
    write("base32", "short_out", b"\x02MZXW6YTBOI======")
    write("base32", "bad", b"\x40A1B8=A")
    # codecs: first byte the base64 flags (1 URL, 2 no padding, 4 canonical), then the text
    write("codecs", "standard", b"\x00Zm9vYmFy")
    write("codecs", "padded", b"\x00Zg==")
    write("codecs", "jws_part", b"\x07eyJhbGciOiJSUzI1NiJ9")
    write("codecs", "url", b"\x01-_-_")
    write("codecs", "noncanonical", b"\x06Zh")
    write("codecs", "bad_padding", b"\x00Zg=")
    write("codecs", "space", b"\x00Zm 9v")
    write("codecs", "utf8", "\0台北 \U0001F600".encode())
    write("codecs", "utf8_ill_formed", b"\x00\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80")
    write("codecs", "utf8_cut", b"\x00\xe5\x8f")
    write("otpauth", "plain", b"pam_regs\0alice\0" + bytes(range(20)))
    write("otpauth", "unicode", "臺大 login\0王小明:x@y?&=\0".encode() + b"\xff\x00\x80")
    write("otpauth", "empty", b"\0\0")
    for i, c in enumerate(["KX-125770", " kx 125770 ", "AB123456", "IO-123456", "KX--12345",
                           "KX-1257701"]):
        write("resetcode", "code%d" % i, c)
    write("mail", "plain", b"alice@example.org\0Your code\0Code KX-125770\0alice\0KX-125770")
    write("mail", "utf8", "bob@example.org\0=?utf-8?q?x?= 重設代碼\0本文\0王小明\0ab 123456".encode())
    write("mail", "injection", b"a@b.c\r\nBcc: x@y\0Subject\r\nCc: z\0body\0u\0bad")
    for i, c in enumerate(["A123456789", "F131104093", "a123456789", "A12345678", "A823456781",
                           "Z1234567890"]):
        write("twid", "id%d" % i, c)


# ---- Card answers: directory files and scripts recorded from the virtual card

def script(responses):
    out = b""
    for r in responses:
        n = len(r)
        out += bytes([n]) if n < 255 else bytes([255, n - 255])
        out += r
    return out


def card_args(tmp, **over):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "王小明")])
    c = cert(name, key)
    cp, kp = os.path.join(tmp, "sign.der"), os.path.join(tmp, "sign.key")
    with open(cp, "wb") as f:
        f.write(der(c))
    with open(kp, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    a = dict(cert=cp, key=kp, keyx_cert=None, keyx_key=None, ca_chain=[], apdu_log=None,
             pin="123456", tries=3, state=None, fault="none", verify_key="primary",
             response_mode="mixed", eof_mode="6282", pulled=False)
    a.update(over)
    return types.SimpleNamespace(**a)


def record_card(harness, args, prefix=b"\x00"):
    """The card's answers to what fuzz_card sends, found one command at a time."""
    import vcard
    responses = []
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "script")
        for _ in range(400):
            with open(path, "wb") as f:
                f.write(prefix + script(responses))
            env = dict(os.environ, REGS_FUZZ_TRACE="1")
            p = subprocess.run([harness, path], env=env, capture_output=True, text=True)
            cmds = [bytes.fromhex(l[1:].replace(" ", "")) for l in p.stderr.splitlines()
                    if l.startswith(">")]
            if len(cmds) <= len(responses):
                break
            card = vcard.Card(args)
            responses = []
            for c in cmds:
                r = card.process(c)
                if r is None:
                    break
                responses.append(r)
            if len(responses) < len(cmds):
                break
    return prefix + script(responses)


def card_seeds(builddir):
    import vcard
    harness = os.path.join(builddir, "tests", "fuzz", "fuzz_card")
    with tempfile.TemporaryDirectory() as tmp:
        base = card_args(tmp)
        write("card", "session", record_card(harness, base))
        write("card", "session_61xx", record_card(harness, card_args(tmp, response_mode="61xx")))
        write("card", "session_eof_6c", record_card(harness, card_args(tmp, eof_mode="6c")))
        write("card", "locked", record_card(harness, card_args(tmp, fault="locked")))
        write("card", "wrong_atr", record_card(harness, card_args(tmp, fault="second-generation"),
                                               b"\x01\x11" + vcard.G2_ATR))
        card = vcard.Card(base)
        write("apdu", "cdf", b"\x00" + card.files["4104"])
        write("apdu", "prkdf", b"\x01" + card.files["4100"])
        write("apdu", "exchange_61xx", b"\x04" + script([b"\x61\x10", bytes(16) + b"\x61\x04",
                                                          b"abcd\x90\x00", b"\x90\x00"] * 2))
        write("apdu", "exchange_6c", b"\x04" + script([b"\x6c\x08", b"12345678\x90\x00",
                                                        b"\x6a\x82", b"\x90\x00"]))
        d = card.files["4104"]
        chunks = [d[i:i + 200] + b"\x90\x00" for i in range(0, len(d), 200)]
        write("apdu", "read_directory", b"\x09\x00\x00\x40" + script(chunks))
        blob = card.files["08F2"][:700]
        chunks = [blob[i:i + 200] + (b"\x90\x00" if i + 200 < len(blob) else b"\x62\x82")
                  for i in range(0, len(blob), 200)]
        write("apdu", "read_to_end", b"\x08\x00\x00\x30" + script(chunks + [b"\x69\x87"]))


def record_seeds(builddir):
    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "empty")
        open(empty, "wb").close()
        out = os.path.join(HERE, "corpus", "record")
        os.makedirs(out, exist_ok=True)
        env = dict(os.environ, REGS_FUZZ_RECORD_SEEDS=out)
        subprocess.run([os.path.join(builddir, "tests", "fuzz", "fuzz_record"), empty], env=env,
                       check=True, capture_output=True)


# ---- DER (fuzz_der): the reader's edges by hand, and real inputs it reads from the corpora

DER_EDGES = {
    "sequence_nested": bytes([0x30, 0x09, 0x02, 0x01, 0x05, 0x30, 0x04, 0x04, 0x02, 0x61, 0x62]),
    "long_form_length": bytes([0x04, 0x82, 0x01, 0x00]) + bytes(256),
    "non_minimal_length": bytes([0x04, 0x83, 0x00, 0x00, 0x01, 0x7F]),
    "indefinite_length": bytes([0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00]),
    "length_overflow": bytes([0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]),
    "five_length_bytes": bytes([0x04, 0x85, 0, 0, 0, 0, 1, 0]),
    "high_tag": bytes([0x1F, 0x22, 0x01, 0x00]),
    "trailing_bytes": bytes([0x30, 0x03, 0x02, 0x01, 0x05, 0x00]),
    "child_past_parent": bytes([0x30, 0x03, 0x04, 0x04, 0x61, 0x62, 0x63]),
    "truncated_header": bytes([0x30, 0x82, 0x01]),
}


def der_seeds():
    for name, data in DER_EDGES.items():
        write("der", name, data)
    # (corpus, seed, name here, bytes of the harness's own prefix to drop)
    for corpus, seed, name, skip in (("crl", "three", "crl_three", 0),
                                     ("x509", "citizen", "certificate", 0),
                                     ("apdu", "cdf", "card_cdf", 1)):
        with open(os.path.join(HERE, "corpus", corpus, seed), "rb") as f:
            write("der", name, f.read()[skip:])


# ---- D-Bus messages (jeepney), authentication lines and addresses, as fuzz_wire takes them

def wire_message(endian, mtype, fields, sig, body, serial=9):
    """fields: [(code, (type, value))] in order, any code; the SIGNATURE field is added."""
    import struct
    from jeepney.low_level import _header_fields_type, padding, parse_signature
    code = endian.struct_code()
    body_buf = parse_signature(list("(%s)" % sig)).serialise(body, 0, endian) if sig else b""
    if sig:
        fields = fields + [(8, ("g", sig))]
    head = struct.pack(code + "cBBBII", endian.dbus_code(), mtype, 0, 1, len(body_buf), serial)
    head += _header_fields_type.serialise(fields, 12, endian)
    return head + b"\0" * padding(len(head), 8) + body_buf


def wire_seeds():
    from jeepney.low_level import Endianness
    le, be = Endianness.little, Endianness.big
    call = [(1, ("o", "/tw/regs/Daemon1")), (2, ("s", "tw.regs.Daemon1")), (3, ("s", "VerifyOtp"))]
    reply = [(5, ("u", 7))]
    rows = [(1700000000, "alice", "login", "ok", "sshd", "", "otp", 100),
            (1700000001, "bob", "login", "fail", "sshd", "", "card", 101)]
    msgs = {
        "call_sutbay": wire_message(le, 1, call + [(6, ("s", "tw.regs.Daemon1"))], "sutbay",
                                    ("alice", 123456, 2**63 + 5, True, b"\x00\x01\xff")),
        "be_call_sutbay": wire_message(be, 1, call, "sutbay", ("王小明", 1, 2, False, b"")),
        "return_uuu": wire_message(le, 2, reply, "uuu", (1, 2, 0xDEADBEEF)),
        "be_error_su": wire_message(be, 3, reply + [(4, ("s", "tw.regs.Error.TooSoon"))], "su",
                                    ("wait", 30)),
        "return_log": wire_message(le, 2, reply, "a(tssssssu)", (rows,)),
        "be_return_log": wire_message(be, 2, reply, "a(tssssssu)", (rows,)),
        "return_nested": wire_message(le, 2, reply, "a(sa(ub))aasay",
                                      ([("x", [(1, True)]), ("y", [])], [["a"], []], b"z")),
        "unknown_field_variant": wire_message(le, 2, reply + [(42, ("s", "later"))], "sva{sv}",
                                              ("x", ("as", ["a"]), {"k": ("u", 5)})),
        "signal": wire_message(le, 4, call, "", ()),
    }
    for name, data in msgs.items():
        write("wire", name, data)
    auth = b"\0AUTH EXTERNAL 31303030\r\nBEGIN\r\n"
    write("wire", "sasl_then_call", auth + msgs["call_sutbay"])
    write("wire", "sasl_data_fd_begin", b"\0AUTH EXTERNAL\r\nDATA\r\nNEGOTIATE_UNIX_FD\r\n"
          b"BEGIN\r\n" + msgs["return_uuu"])
    write("wire", "sasl_rejected", b"\0AUTH ANONYMOUS\r\nAUTH EXTERNAL 30\r\nCANCEL\r\nBEGIN\r\n")
    write("wire", "sasl_no_cr", b"\0AUTH EXTERNAL 31303030\nBEGIN\r\n")
    write("wire", "address_list", b"tcp:host=localhost,port=4711;unix:abstract=/tmp/dbus-%41,"
          b"guid=0123456789abcdef0123456789abcdef;unix:path=/run/x")
    write("wire", "address_escapes", b"unix:path=%2frun%2Fregsd%20x%2c%3b,guid=01")
    # address_parse took the path= of the tcp address after a unix one without a path
    write("wire", "address_key_of_next_address", b"unix:tmpdir=/tmp;tcp:host=h,path=/not_unix")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--builddir", default=SRC, help="where the harnesses were built")
    ap.add_argument("--only", help="one corpus only: wire")
    a = ap.parse_args()
    if a.only == "wire":
        wire_seeds()
        return 0
    crl_seeds()
    x509_seeds()
    jwt_seeds()
    jwks_seeds()
    oidc_seeds()
    strictjson_seeds()
    mobileid_seeds()
    config_seeds()
    text_seeds()
    card_seeds(a.builddir)
    record_seeds(a.builddir)
    der_seeds()
    wire_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
