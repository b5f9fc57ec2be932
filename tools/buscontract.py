#!/usr/bin/env python3
"""The bus contract from data/tw.regs.Daemon1.xml, for the build (make runs this).

    buscontract.py header XML OUT          lib/proto/contract.h: names, signatures, errors, enums
    buscontract.py introspection XML OUT   regsd's Introspect answer as a C string
    buscontract.py check XML FILE...       fails when a method table (daemon/service.c) or the
                                           client's calls (client/*.c) leave out a method of
                                           the contract, name one it does not have, or spell a
                                           signature by hand
    buscontract.py man XML PAGE            fails when the manual page (data/man/regsd.8) leaves
                                           out a method or gives one other arguments

The XML is read with xml.etree (python3 stdlib); tests/integration/busnames.py loads it
with this module's load().
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

# tw.regs.<Group>.<NAME> annotations: (C enum or None for #defines, C prefix).
GROUPS = {
    "Bus": (None, "REGS_BUS_"),
    "Error": (None, "REGS_E_"),
    "Flag": ("regs_account_flag", "REGS_F_"),
    "Result": ("regs_result", "REGS_R_"),
    "OobState": ("regs_oob_state", "REGS_OOB_"),
}
ANNOTATION = re.compile(r"^tw\.regs\.(\w+)\.([A-Z][A-Z0-9_]*)$")
STANDARD_INTERFACES = """  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
"""


class ContractError(Exception):
    pass


class Method:
    def __init__(self, name, args, doc):
        self.name, self.args, self.doc = name, args, doc

    def signature(self, direction):
        return "".join(t for _, t, d in self.args if d == direction)

    @property
    def c_name(self):
        return "REGS_M_" + re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).upper()


class Contract:
    """The parsed contract: path, interface, ordered groups of constants, methods."""

    def __init__(self, path, iface):
        self.path, self.iface = path, iface
        self.items = []  # ("const", group, NAME, value, doc) or ("method", Method)
        self.methods = {}
        self.constants = {group: {} for group in GROUPS}


def _text(comment):
    return " ".join(comment.text.split())


def _method(element, doc):
    args = []
    for arg in element:
        if arg.tag != "arg":
            continue
        name, sig = arg.get("name"), arg.get("type")
        direction = arg.get("direction", "in")
        if not name or not sig or direction not in ("in", "out"):
            raise ContractError("%s: every arg needs a name, a type and a direction"
                                % element.get("name"))
        args.append((name, sig, direction))
    return Method(element.get("name"), args, doc)


def _constant(contract, name, value, doc):
    m = ANNOTATION.match(name or "")
    if not m or m.group(1) not in GROUPS:
        raise ContractError("unknown annotation %r" % name)
    group, const = m.groups()
    if GROUPS[group][0]:
        value = int(value, 0)
    if const in contract.constants[group]:
        raise ContractError("%s given twice" % name)
    contract.constants[group][const] = value
    contract.items.append(("const", group, const, value, doc))


def load(xml_path):
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.parse(xml_path, parser=parser).getroot()
    ifaces = [e for e in root if e.tag == "interface"]
    if root.tag != "node" or len(ifaces) != 1:
        raise ContractError("%s: want one <node> with one <interface>" % xml_path)
    contract = Contract(root.get("name"), ifaces[0].get("name"))
    doc = []
    for element in ifaces[0]:
        if element.tag is ET.Comment:
            doc.append(_text(element))
            continue
        if element.tag == "annotation":
            _constant(contract, element.get("name"), element.get("value"), doc)
        elif element.tag == "method":
            method = _method(element, doc)
            if method.name in contract.methods:
                raise ContractError("method %s given twice" % method.name)
            contract.methods[method.name] = method
            contract.items.append(("method", method))
        else:
            raise ContractError("unexpected <%s> in the interface" % element.tag)
        doc = []
    if "NAME" not in contract.constants["Bus"]:
        raise ContractError("no tw.regs.Bus.NAME annotation")
    return contract


def _comment(lines, indent=""):
    text = " ".join(lines).replace("*/", "* /")
    out, line = [], indent + "/*"
    for word in text.split():
        if len(line) + 1 + len(word) > 96:
            out.append(line)
            line = indent + " *"
        line += " " + word
    out.append(line + " */")
    return out


def _c_string(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _method_lines(method):
    def part(direction):
        return ", ".join("%s %s" % (t, n) for n, t, d in method.args if d == direction)

    lines = _comment(method.doc + ["(%s) -> (%s)" % (part("in"), part("out"))])
    for suffix, value in (("", method.name), ("_IN", method.signature("in")),
                          ("_OUT", method.signature("out"))):
        lines.append("#define %s%s %s" % (method.c_name, suffix, _c_string(value)))
    return lines


def header(contract, source):
    out = ["/* The bus contract, generated by tools/buscontract.py from %s: do not edit. */"
           % source, "#ifndef REGS_PROTO_CONTRACT_H", "#define REGS_PROTO_CONTRACT_H", "",
           "#define REGS_BUS_PATH %s" % _c_string(contract.path),
           "#define REGS_BUS_IFACE %s" % _c_string(contract.iface)]
    open_enum = None
    for item in contract.items:
        if item[0] == "method":
            if open_enum:
                out.append("};")
                open_enum = None
            out += [""] + _method_lines(item[1])
            continue
        _, group, const, value, doc = item
        enum, prefix = GROUPS[group]
        if enum != open_enum:
            if open_enum:
                out.append("};")
            out.append("")
            if enum:
                out.append("enum %s {" % enum)
            open_enum = enum
        if enum:
            out += _comment(doc, "\t") if doc else []
            out.append("\t%s%s = %s," % (prefix, const,
                                         hex(value) if group == "Flag" else value))
        else:
            out += _comment(doc) if doc else []
            out.append("#define %s%s %s" % (prefix, const, _c_string(value)))
    if open_enum:
        out.append("};")
    out += ["",
            "/* A method's name and its in and out signatures, for a method table or a call. */",
            "#define REGS_METHOD(m) m, m##_IN, m##_OUT",
            "#define REGS_BUS_METHOD_COUNT %d" % len(contract.methods), "", "#endif", ""]
    return "\n".join(out)


def introspection_xml(xml_path):
    """The file as regsd answers Introspect on its path: with the standard interfaces."""
    with open(xml_path, encoding="utf-8") as f:
        text = f.read()
    start = text.index("<node")
    body_at = text.index(">", start) + 1
    doctype = text[:text.index(">", text.index("<!DOCTYPE")) + 1]
    return doctype + "\n" + text[start:body_at] + "\n" + STANDARD_INTERFACES + text[body_at:]


def introspection(xml_path, source):
    xml = introspection_xml(xml_path)
    out = ["/* regsd's Introspect answer, generated by tools/buscontract.py from %s: do not "
           "edit. */" % source,
           "/* Declared in daemon/introspect.h; repeated here, as the build directory may not",
           " * be the source directory. */",
           "extern const char regsd_introspection_xml[];", "",
           "const char regsd_introspection_xml[] ="]
    lines = xml.splitlines()
    for i, line in enumerate(lines):
        out.append("    %s%s" % (_c_string(line + "\n"), ";" if i == len(lines) - 1 else ""))
    return "\n".join(out) + "\n"


HAND_SIGNATURE = re.compile(r'REGS_M_\w+\s*,\s*"')
TABLE_ENTRY = re.compile(r"REGS_METHOD\((REGS_M_\w+)\)")


def check(contract, paths):
    """Each file's REGS_METHOD(...) uses, all together, name every method of the contract
    and no other; no file pairs a method name with a signature written by hand."""
    problems = []
    known = {m.c_name for m in contract.methods.values()}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for m in HAND_SIGNATURE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            problems.append("%s:%d: a signature written by hand; use REGS_METHOD()"
                            % (path, line))
        used = TABLE_ENTRY.findall(text)
        for name in sorted(set(used) - known):
            problems.append("%s: %s is not a method of the contract" % (path, name))
    return problems


def check_covers(contract, paths):
    used = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            used |= set(TABLE_ENTRY.findall(f.read()))
    known = {m.c_name for m in contract.methods.values()}
    return ["%s: %s of the contract is missing" % (" ".join(paths), name)
            for name in sorted(known - used)]


MAN_METHOD = re.compile(r"^\.B (\w+)\((.*?)\) \\\(-> \((.*)\)\s*$")


def _man_args(text):
    return [tuple(a.split(" ")) for a in text.split(", ")] if text.strip() else []


def check_man(contract, path):
    """Every method's line in the manual page, '.B Name(s user, ...) -> (u flags, ...)' with
    its fonts, has the contract's argument types and names, in order."""
    problems, seen = [], set()
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            plain = re.sub(r"\\f[RIB]|\\%", "", line)
            m = MAN_METHOD.match(plain)
            if not m:
                continue
            name, args_in, args_out = m.groups()
            method = contract.methods.get(name)
            if not method:
                problems.append("%s:%d: %s is not a method of the contract" % (path, number, name))
                continue
            seen.add(name)
            for direction, text in (("in", args_in), ("out", args_out)):
                want = [(t, n) for n, t, d in method.args if d == direction]
                if _man_args(text) != want:
                    problems.append("%s:%d: %s's %s arguments are (%s), the contract's (%s)"
                                    % (path, number, name, direction, text,
                                       ", ".join("%s %s" % a for a in want)))
    problems += ["%s: %s of the contract is missing" % (path, name)
                 for name in sorted(set(contract.methods) - seen)]
    return problems


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv):
    if len(argv) < 4 or argv[1] not in ("header", "introspection", "check", "man"):
        sys.stderr.write(__doc__)
        return 2
    command, xml_path = argv[1], argv[2]
    source = "data/" + os.path.basename(xml_path)
    try:
        contract = load(xml_path)
    except (ContractError, ET.ParseError, ValueError) as e:
        sys.stderr.write("%s: %s\n" % (xml_path, e))
        return 1
    if command == "header":
        _write(argv[3], header(contract, source))
    elif command == "introspection":
        _write(argv[3], introspection(xml_path, source))
    elif command == "man":
        return _report(check_man(contract, argv[3]))
    else:
        # Groups of files separated by "--": each group together names every method.
        groups, group = [], []
        for a in argv[3:]:
            if a == "--":
                groups.append(group)
                group = []
            else:
                group.append(a)
        groups.append(group)
        problems = []
        for g in groups:
            problems += check(contract, g) + check_covers(contract, g)
        return _report(problems)
    return 0


def _report(problems):
    for p in problems:
        sys.stderr.write("bus contract: %s\n" % p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
