"""The bus contract's names and numbers as the tests use them, read at import time from
data/tw.regs.Daemon1.xml, the one description of the interface (tools/buscontract.py reads it
for the build too): nothing here is copied by hand."""

import os
import sys

_SRCDIR = os.environ.get("REGS_SRCDIR") or os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(_SRCDIR, "tools"))
import buscontract  # noqa: E402

CONTRACT_XML = os.path.join(_SRCDIR, "data", "tw.regs.Daemon1.xml")
CONTRACT = buscontract.load(CONTRACT_XML)

BUS_NAME = CONTRACT.constants["Bus"]["NAME"]
BUS_PATH = CONTRACT.path
BUS_IFACE = CONTRACT.iface
# {method: (in signature, out signature)}
METHODS = {m.name: (m.signature("in"), m.signature("out")) for m in CONTRACT.methods.values()}
# {error's C name without REGS_E_: its D-Bus name}, e.g. ERRORS["TOO_SOON"]
ERRORS = dict(CONTRACT.constants["Error"])

__all__ = ["BUS_NAME", "BUS_PATH", "BUS_IFACE", "CONTRACT", "CONTRACT_XML", "METHODS", "ERRORS"]
# F_OTP_BOUND, ... (flags); R_OK, R_WRONG, ... (results); OOB_PENDING, ... (flow states)
for _group, _prefix in (("Flag", "F_"), ("Result", "R_"), ("OobState", "OOB_")):
    for _name, _value in CONTRACT.constants[_group].items():
        globals()[_prefix + _name] = _value
        __all__.append(_prefix + _name)
