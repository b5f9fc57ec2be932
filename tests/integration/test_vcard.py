"""The card fixtures: the virtual citizen card speaks docs/hicos-card.md through a REAL pcscd.

These tests (test_vcard_*, no rule in their names) prove the test fixtures, not pam_regs: tests/fixtures/vcard.py behind
Debian's vsmartcard-vpcd driver and a private pcscd (tests/integration/cardenv.py,
own mount namespace), driven by pcsc-tools' scriptor and by libpcsclite through
ctypes, answers the APDUs of the card profile the way the document says; and
tests/fixtures/pki.py makes the chain, the extension and the CRLs the card tests
need. Agreement is with the document, not with a real card (docs/card-profile.md).

The wrapped VERIFY is computed here independently of vcard.py, with the
cryptography library's TripleDES, from the document's words.
"""

import datetime
import hashlib
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cardenv  # noqa: E402
import harness  # noqa: E402
from harness import check  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, modes  # noqa: E402

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES  # noqa: E402
except ImportError:
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES  # noqa: E402

ATR = "3BB813008131FA524348544D4F494341A5"
PIN = "123456"
SEL = ["80A40000023F00", "80A40000025030"]  # then 80A4000002 <FID>
KEY = b"CHTTL8f0HiCardV2"
ALT_KEY = b"TLETC812HiCOSV22"
# SHA-256 DigestInfo prefix (PKCS#1 v1.5)
DIGESTINFO = bytes.fromhex("3031300d060960864801650304020105000420")


def card():
    return cardenv.current


def sel(fid):
    return SEL + ["80A4000002" + fid]


# ------------------------------------------------------------- the document, in Python


def wrapped_verify(pin, key=KEY, iv=None):
    """8C 20 00 01 20 | IV | C per hicos-card.md: PIN padded FF to 10 bytes; MAC =
    3DES CBC-MAC (IV, PKCS#7) over it; C = 3DES-CBC(IV) over PIN||MAC, PKCS#7."""
    iv = iv or os.urandom(8)
    blk = pin.encode() + b"\xff" * (10 - len(pin))

    def cbc(data):
        n = 8 - len(data) % 8
        e = Cipher(TripleDES(key), modes.CBC(iv)).encryptor()
        return e.update(data + bytes([n]) * n) + e.finalize()

    mac = cbc(blk)[-8:]
    c = cbc(blk + mac)
    check(len(c) == 24, "the cryptogram is 24 bytes")
    return "8C20000120" + (iv + c).hex().upper()


def pkcs1_block(challenge):
    t = DIGESTINFO + hashlib.sha256(challenge).digest()
    return b"\x00\x01" + b"\xff" * (256 - 3 - len(t)) + b"\x00" + t


def tlv(data):
    """[(tag, value)] of concatenated DER objects, stopping at 00/FF padding."""
    out, i = [], 0
    while i < len(data) and data[i] not in (0x00, 0xFF):
        tag, ln = data[i], data[i + 1]
        i += 2
        if ln & 0x80:
            k = ln & 0x7F
            ln = int.from_bytes(data[i:i + k], "big")
            i += k
        out.append((tag, data[i:i + ln]))
        i += ln
    return out


def find(value, tag):
    return [v for t, v in tlv(value) if t == tag]


def read_file(fid, size=None, chunk=0xC8):
    """READ BINARY in <=200-byte chunks after the SELECT path, in one session."""
    size = size or 0x300
    apdus = sel(fid) + ["80B0%04X%02X" % (off, min(chunk, size - off))
                        for off in range(0, size, chunk)]
    res, p = card().scriptor(apdus)
    check(len(res) == len(apdus), "scriptor answered every APDU", p.stdout, p.stderr)
    for s, _ in res[:3]:
        check(s == "9000", "SELECT path answered 9000", res)
    return b"".join(d for s, d in res[3:] if s in ("9000", "6282")), res


def cdf_entries():
    data, _ = read_file("4104")
    entries = []
    for tag, v in tlv(data):
        check(tag == 0x30, "CDF entry is a SEQUENCE")
        parts = tlv(v)
        cid = find(parts[1][1], 0x04)[0]
        path_seq = find(find(parts[2][1], 0x30)[0], 0x30)[0]
        p = dict(tlv(path_seq))
        entries.append({"id": cid, "path": p[0x04], "index": int.from_bytes(p[0x02], "big"),
                        "length": int.from_bytes(p[0x80], "big"), "raw": path_seq})
    return entries


def read_cert(entry):
    off, ln = entry["index"], entry["length"]
    apdus = sel("08F2") + ["80B0%04X%02X" % (o, min(0xC8, off + ln - o))
                           for o in range(off, off + ln, 0xC8)]
    res, p = card().scriptor(apdus)
    check(all(s == "9000" for s, _ in res) and len(res) == len(apdus),
          "08F2 read in 200-byte chunks", res, p.stderr)
    return b"".join(d for _, d in res[3:])


def fresh(**opts):
    c = card()
    opts.setdefault("tries_left", opts.get("tries", 3))
    c.start_card(**opts)
    c.clear_apdu_log()
    return c


# ------------------------------------------------------------- tests


def test_vcard_pki_chain_extension_and_expiry():
    c = card()
    certs = c.pki["certs"]

    def load(n):
        with open(certs[n]["der"], "rb") as f:
            return x509.load_der_x509_certificate(f.read())

    def signed_by(child, parent):
        parent.public_key().verify(child.signature, child.tbs_certificate_bytes,
                                   padding.PKCS1v15(), child.signature_hash_algorithm)

    grca, moica, cit = load("grca"), load("moica"), load("citizen")
    signed_by(moica, grca)
    signed_by(cit, moica)
    signed_by(load("institution"), load("xca_root"))
    signed_by(load("untrusted"), load("untrusted_root"))
    check(moica.subject.rfc4514_string() == "OU=內政部憑證管理中心,O=行政院,C=TW",
          "MOICA subject", moica.subject.rfc4514_string())
    ku = cit.extensions.get_extension_for_class(x509.KeyUsage).value
    check(ku.digital_signature and ku.content_commitment and not ku.key_encipherment,
          "citizen keyUsage digitalSignature+nonRepudiation")
    check(cit.public_key().key_size == 2048, "RSA-2048")
    sda = cit.extensions.get_extension_for_oid(x509.ObjectIdentifier("2.5.29.9")).value.value
    oid = bytes.fromhex("060760867601640233")
    check(oid in sda and sda.endswith(b"\x13\x046789"),
          "SDA carries 2.16.886.1.100.2.51 = 6789", sda.hex())
    exp = load("citizen_expired")
    check(exp.not_valid_after < datetime.datetime.utcnow(), "expired cert")


def test_vcard_pki_bulk_crl_signed_by_moica():
    c = card()
    d = os.path.dirname(c.cert("moica")["der"])
    p = subprocess.run([sys.executable, os.path.join(cardenv.FIXTURES, "pki.py"), "crl", d,
                        "--bulk", "400000", "--revoked", "0x%x" % c.cert("citizen2")["serial"],
                        "--out", os.path.join(d, "big.crl")],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "pki.py crl --bulk ran", p.stderr)
    with open(os.path.join(d, "big.crl"), "rb") as f:
        crl = x509.load_der_x509_crl(f.read())
    with open(c.cert("moica")["der"], "rb") as f:
        moica = x509.load_der_x509_certificate(f.read())
    check(crl.is_signature_valid(moica.public_key()), "CRL signature by MOICA")
    check(len(crl) == 400001, "400,001 entries", len(crl))
    check(crl[0].serial_number == c.cert("citizen2")["serial"], "the named serial is listed")
    # the small path (the library's builder)
    p = subprocess.run([sys.executable, os.path.join(cardenv.FIXTURES, "pki.py"), "crl", d,
                        "--revoked", str(c.cert("citizen")["serial"])],
                       capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "pki.py crl ran", p.stderr)
    with open(os.path.join(d, "moica.crl"), "rb") as f:
        small = x509.load_der_x509_crl(f.read())
    check(small.get_revoked_certificate_by_serial_number(c.cert("citizen")["serial"]),
          "revoked serial listed")


def test_vcard_virtual_card_atr_through_real_pcscd():
    c = fresh()
    with c.pcsc() as p:
        p.connect()
        check(p.atr().hex().upper() == ATR, "ATR of the profile", p.atr().hex())
    check("pcscd" in open("/proc/%d/comm" % c.pcscd.pid).read(), "a real pcscd is serving")


def test_vcard_cla_00_is_answered_6e00():
    c = fresh()
    res, p = c.scriptor(["00A40000023F00", "00B0000010", "0020000108313233343536FFFF",
                         "80A40000023F00"])
    check([s for s, _ in res] == ["6E00", "6E00", "6E00", "9000"], "CLA 00 -> 6E00",
          res, p.stdout)


def test_vcard_select_follows_the_3f00_5030_path():
    c = fresh()
    res, _ = c.scriptor(["80A400000208F2", "80A40000025030", "80A40000023F00",
                         "80A400000208F2", "80A40000025030", "80A400000208F2",
                         "80A40000024104", "80A40000021234"])
    check([s for s, _ in res] == ["6A82", "6A82", "9000", "6A82", "9000", "9000", "9000",
                                  "6A82"], "3F00 -> 5030 -> FID, nothing else", res)
    check(all(d == b"" for _, d in res), "SELECT returns no FCP")


def test_vcard_cdf_indirect_path_and_read_binary_yield_the_certificate():
    c = fresh()
    entries = cdf_entries()
    ids = [e["id"] for e in entries]
    check(b"SIGN" in ids and b"KEYX" in ids, "CDF lists SIGN and KEYX certificates", ids)
    sign = [e for e in entries if e["id"] == b"SIGN"][0]
    check(sign["path"] == bytes.fromhex("3F00503008F2"), "indirect path 3F00 5030 08F2")
    check(sign["index"] == 0x0700, "SIGN certificate at index 0x0700", sign)
    keyx = [e for e in entries if e["id"] == b"KEYX"][0]
    check(keyx["raw"][:8] == bytes.fromhex("04063F00503008F2") and
          keyx["raw"][8:11] == b"\x02\x01\x00", "30 .. 04 06 3F00 5030 08F2 02 01 00 80 02 ..",
          keyx["raw"].hex())
    with open(c.cert("citizen")["der"], "rb") as f:
        want = f.read()
    got = read_cert(sign)
    check(got == want, "08F2[index:index+length] is the SIGN certificate DER")
    with open(c.cert("citizen_keyx")["der"], "rb") as f:
        check(read_cert(keyx) == f.read(), "and KEYX's")
    log = c.apdu_log()
    reads = [cmd for cmd, _ in log if cmd.startswith("80B0")]
    check(reads and all(int(r[8:10], 16) <= 0xC8 for r in reads), "chunks of <= 200 bytes")


def test_vcard_read_binary_le_rules():
    c = fresh()
    res, _ = c.scriptor(sel("08F2") + ["80B00000C9", "80B0000000", "80B08000C8",
                                       "00B0000010"])
    check([s for s, _ in res[3:]] == ["6987", "6987", "6A86", "6E00"],
          "Le > 200 -> 6987; SFI bit -> 6A86; CLA 00 -> 6E00", res)
    size = 0x80  # 5032 token info is 0x80 bytes
    res, _ = c.scriptor(sel("5032") + ["80B00070C8", "80B0009010"])
    check(res[3][0] == "6282" and len(res[3][1]) == size - 0x70,
          "62 82 at end of file still carries data", res)
    check(res[4][0] == "6B00", "offset beyond the file -> 6B00", res)
    c.start_card(eof_mode="6c")
    res, _ = c.scriptor(sel("5032") + ["80B00070C8", "80B0007010"])
    check(res[3] == ("6C10", b"") and res[4][0] == "9000" and len(res[4][1]) == 0x10,
          "6C xx -> resend with Le = xx", res)


def test_vcard_prkdf_has_the_sign_key_reference():
    fresh()
    data, _ = read_file("4100", 0x200)
    refs = {}
    for _, v in tlv(data):
        parts = tlv(v)
        key_attrs = dict(tlv(parts[1][1]))
        refs[key_attrs[0x04]] = key_attrs[0x02][0]
    check(refs == {b"KEYX": 1, b"SIGN": 2}, "PrKDF: SIGN keyReference 2, KEYX 1", refs)


def test_vcard_pin_status_query_answers_63c3_and_costs_nothing():
    c = fresh()
    res, _ = c.scriptor(sel("0810") + ["8C200001", "8C200001", "8C200001"])
    check([s for s, _ in res[3:]] == ["63C3"] * 3, "status query 63C3, not an attempt", res)
    check(c.tries_left() == 3, "tries counter untouched")
    check(not [cmd for cmd, _ in c.apdu_log() if cmd.startswith("8C20") and len(cmd) > 8],
          "the log shows no VERIFY with data")


def test_R11_5_strict_card_refuses_the_status_query_and_still_verifies():
    """--pin-status: the query the document does not define gets that status word; the
    document's VERIFY still answers 63 Cx / 90 00 / 69 83; --serial sets file 0900."""
    for answer in ("6700", "6D00", "6A86"):
        c = fresh(pin_status=answer, serial="545700000000C0FFEE01")
        res, p = c.scriptor(sel("0810") + ["8C200001", wrapped_verify("654321"), "8C200001",
                                           wrapped_verify(PIN)])
        check([s for s, _ in res[3:]] == [answer, "63C2", answer, "9000"],
              "status query %s, VERIFY as the document says" % answer, res, p.stdout)
        res, _ = c.scriptor(sel("0900") + ["80B000000A"])
        check(res[3] == ("9000", bytes.fromhex("545700000000C0FFEE01")), "serial file", res)
    c = fresh(pin_status="6D00", tries_left=0)
    res, _ = c.scriptor(sel("0810") + ["8C200001", wrapped_verify(PIN)])
    check([s for s, _ in res[3:]] == ["6D00", "6983"], "a locked strict card: VERIFY 6983",
          res)


def test_vcard_wrong_wrapped_verify_answers_63c2_right_pin_9000():
    c = fresh()
    res, p = c.scriptor(sel("0810") + [wrapped_verify("654321"), "8C200001",
                                       wrapped_verify(PIN), "8C200001"])
    check([s for s, _ in res[3:]] == ["63C2", "63C2", "9000", "63C3"],
          "wrong -> 63C2; right -> 9000 and the counter is back to 3", res, p.stdout)
    check(c.tries_left() == 3, "counter reset")
    res, _ = c.scriptor(SEL + [wrapped_verify(PIN)])
    check(res[2][0] == "6986", "VERIFY without the key file selected -> 6986", res)


def test_vcard_verify_key_mismatch_6a88_then_the_alternative_key():
    c = fresh(verify_key="alt")
    res, _ = c.scriptor(sel("0810") + [wrapped_verify(PIN), wrapped_verify(PIN, ALT_KEY)])
    check([s for s, _ in res[3:]] == ["6A88", "9000"], "6A88 on the main key, alt key works",
          res)
    c = fresh()
    res, _ = c.scriptor(sel("0810") + [wrapped_verify("111111", ALT_KEY), "8C200001"])
    check([s for s, _ in res[3:]] == ["6A88", "63C3"], "6A88 costs no try", res)


def test_vcard_three_wrong_pins_lock_and_the_lock_persists():
    c = fresh()
    res, _ = c.scriptor(sel("0810") + [wrapped_verify("000000"), wrapped_verify("000001"),
                                       wrapped_verify("000002"), wrapped_verify(PIN),
                                       "8C200001"])
    check([s for s, _ in res[3:]] == ["63C2", "63C1", "6983", "6983", "6983"],
          "locked after 3, even the right PIN -> 6983", res)
    c.start_card()  # a restart keeps the counter (--state)
    res, _ = c.scriptor(sel("0810") + ["8C200001", wrapped_verify(PIN)])
    check([s for s, _ in res[3:]] == ["6983", "6983"], "still locked after a restart", res)
    c = fresh(fault="locked", tries_left=3)
    res, _ = c.scriptor(sel("0810") + ["8C200001"])
    check(res[3][0] == "6983", "fault=locked", res)


def _sign_apdus(challenge, keyref=2, verify=True):
    blk = pkcs1_block(challenge)
    a = sel("0810")
    if verify:
        a.append(wrapped_verify(PIN))
    return a + ["80EA82%02X80" % keyref + blk[:128].hex(),
                "80EA02%02X80" % keyref + blk[128:].hex()]


def _verify_sig(cert_path, sig, challenge):
    with open(cert_path, "rb") as f:
        pub = x509.load_der_x509_certificate(f.read()).public_key()
    pub.verify(sig, challenge, padding.PKCS1v15(), hashes.SHA256())


def test_vcard_sign_after_verify_gives_a_signature_the_certificate_verifies():
    c = fresh()
    ch = os.urandom(32)
    res, _ = c.scriptor(_sign_apdus(ch, verify=False))
    check([s for s, _ in res[3:]] == ["6982", "6982"], "no signing before VERIFY", res)
    res, p = c.scriptor(_sign_apdus(ch) + ["00C0000080", "80C1008080"])
    sws = [s for s, _ in res[3:]]
    check(sws == ["9000", "9000", "6180", "9000", "9000"],
          "VERIFY, EA 82, EA 02 -> 61 80, GET RESPONSE, C1", res, p.stdout)
    sig = res[6][1] + res[7][1]
    check(len(sig) == 256, "256-byte result")
    _verify_sig(c.cert("citizen")["der"], sig, ch)
    # the same with the data in the EA 02 response
    c = fresh(response_mode="data")
    res, _ = c.scriptor(_sign_apdus(ch) + ["80C1008080"])
    check([s for s, _ in res[3:]] == ["9000", "9000", "9000", "9000"], "data mode", res)
    _verify_sig(c.cert("citizen")["der"], res[5][1] + res[6][1], ch)


def test_vcard_fault_wrong_key_signature_does_not_verify():
    c = fresh(fault="wrong-key")
    ch = os.urandom(32)
    res, _ = c.scriptor(_sign_apdus(ch) + ["00C0000080", "80C1008080"])
    sig = res[6][1] + res[7][1]
    try:
        _verify_sig(c.cert("citizen")["der"], sig, ch)
        raise AssertionError("a wrong-key signature verified")
    except InvalidSignature:
        pass


def test_vcard_fault_corrupt_cert_parses_but_does_not_chain():
    c = fresh(fault="corrupt-cert")
    sign = [e for e in cdf_entries() if e["id"] == b"SIGN"][0]
    der = read_cert(sign)
    with open(c.cert("citizen")["der"], "rb") as f:
        check(der != f.read(), "the card's certificate differs")
    cert = x509.load_der_x509_certificate(der)
    with open(c.cert("moica")["der"], "rb") as f:
        moica = x509.load_der_x509_certificate(f.read())
    try:
        moica.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                  padding.PKCS1v15(), hashes.SHA256())
        raise AssertionError("corrupt certificate verified")
    except InvalidSignature:
        pass


def test_vcard_fault_wrong_atr_and_second_generation():
    c = fresh(fault="wrong-atr")
    with c.pcsc() as p:
        p.connect()
        atr = p.atr().hex().upper()
    check(atr != ATR and atr.startswith("3BB8"), "another ATR", atr)
    c = fresh(fault="second-generation")
    with c.pcsc() as p:
        p.connect()
        atr = p.atr().hex().upper()
        aid = p.transmit("00A4040010A0000002830000062201696400010101")
        cla80 = p.transmit("80A40000023F00")
    check(atr not in (ATR,), "second-generation ATR", atr)
    check(aid[-2:] == b"\x90\x00", "the 2nd-generation applet AID is selectable", aid.hex())
    check(cla80 == b"\x6e\x00", "the first-generation commands are not", cla80.hex())


def expect_dead(p, apdu, what):
    """The card is gone mid-APDU: through vpcd the host sees either a PC/SC error or
    a response shorter than a status word (vpcd reports 0 bytes, IFD_SUCCESS)."""
    try:
        r = p.transmit(apdu)
    except cardenv.PcscError:
        return
    check(len(r) < 2, what + " answered", r.hex())


def test_vcard_removal_at_any_moment():
    c = fresh()
    with c.pcsc() as p:
        p.connect()
        check(p.transmit("80A40000023F00") == b"\x90\x00", "card answers")
        c.pull_card()
        expect_dead(p, "80A40000025030", "SELECT after removal")
    c.insert_card()
    res, _ = c.scriptor(["80A40000023F00"])
    check(res == [("9000", b"")], "back after insertion", res)
    # pulled in the middle of reading the certificate
    c = fresh(fault="pull-during-read")
    with c.pcsc() as p:
        p.connect()
        for a in sel("08F2") + ["80B00000C8"]:
            check(p.transmit(a)[-2:] == b"\x90\x00", "before the pull", a)
        expect_dead(p, "80B000C8C8", "second chunk")
    c.wait_present(False)
    check(c.apdu_log()[-1] == ("80B000C8C8", "PULLED"), "logged as pulled", c.apdu_log()[-2:])
    # pulled in the middle of signing
    c = fresh(fault="pull-during-sign")
    with c.pcsc() as p:
        p.connect()
        apdus = _sign_apdus(os.urandom(32))
        for a in apdus[:-1]:
            check(p.transmit(a)[-2:] == b"\x90\x00", "before the pull", a[:10])
        expect_dead(p, apdus[-1], "EA 02")
    c.wait_present(False)
    check(c.apdu_log()[-1][1] == "PULLED", "EA 02 logged as pulled")
    c.stop_card()


if __name__ == "__main__":
    with cardenv.card_namespace():
        harness.main(globals())
