#!/usr/bin/env python3
"""The access pass: `package` across the modules, `public` only for what the packages beside this one use.

Benchmarks/ and FuzzTargets/ are packages of their own, which see only `public`. Everything else in the product
(its modules, tests and the `hookline` executable) is one package, for which `package` is enough. LuaRuntime and
JSON stay public as a whole: they are libraries meant for others.

    tools/access-pass.py            convert, then restore `public` until the product builds and the side packages
                                    typecheck against it (after `swift build --build-tests` has built it once)
    tools/access-pass.py --resume   the restoring loop alone, on a tree converted before

It redoes the pass after a merge that brought new `public` declarations. Steps:
1. every declaration's leading `public` in Sources/ (but LuaRuntime and JSON) becomes `package`;
2. `public` comes back on a type or extension whose name the side packages' sources mention, and on the members
   of such a type that they use (`.name`, a `name:` label or a `name(` call; initialisers always);
3. the product is built and each side target typechecked (swiftc with the product's modules, as a package of
   its own); `public` comes back wherever the compiler says a declaration must be public (a public signature
   that uses it, a public protocol's requirement, a public default argument, a side package's use), and step 2
   is repeated with the types public by then, until all of it passes.
"""
import json, os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEEP = {"LuaRuntime", "JSON", "CLua", "LuaShim"}
MODIFIERS = r'(?:(?:nonisolated(?:\([^)]*\))?|final|static|override|mutating|convenience|required|indirect|dynamic)\s+)*'
DECLARATION = re.compile(r'^(\s*)((?:@[\w.]+(?:\([^)]*\))?\s+)*)' + MODIFIERS + r'public(?=\s)')
KIND_NAME = re.compile(r'\b(struct|class|enum|protocol|actor|typealias|extension|func|var|let|case|init|subscript)\b\s*([A-Za-z_][\w.]*)?')

def swift_files(module):
    for folder, _, names in os.walk(f"{ROOT}/Sources/{module}"):
        for name in sorted(names):
            if name.endswith(".swift"):
                yield os.path.join(folder, name)

def side_sources():
    files = []
    for side in ("Benchmarks", "FuzzTargets"):
        for folder, dirs, names in os.walk(f"{ROOT}/{side}"):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            files += [os.path.join(folder, n) for n in names if n.endswith(".swift") and n != "Package.swift"]
    return files

def public_protocols():
    names = set()
    for module in os.listdir(f"{ROOT}/Sources"):
        for path in swift_files(module):
            names |= set(re.findall(r'^\s*public\s+protocol\s+(\w+)', open(path).read(), re.M))
    return names

def convert(restoring=False):
    """Steps 1 and 2; with `restoring`, step 2 again for the extensions of the protocols public by now: a side
    package calls their methods through a protocol that refines them (`any Journal`), and where a requirement
    of the same name is public the compiler picks that one instead of saying the method is out of reach."""
    protocols = public_protocols() if restoring else set()
    types, members = set(), set()
    changed = 0
    for path in side_sources():
        text = re.sub(r'"[^"\n]*"', '""', re.sub(r'//.*', '', open(path).read()))  # what the code names, not its comments or text
        types |= set(re.findall(r'\b[A-Z]\w*\b', text))
        members |= set(re.findall(r'\.([a-z_]\w*)\b', text)) | set(re.findall(r'\b([a-z_]\w*)[:(]', text))
    for module in sorted(os.listdir(f"{ROOT}/Sources")):
        if module in KEEP:
            continue
        for path in swift_files(module):
            lines = open(path).read().split("\n")
            enclosing = []  # (indent, name) of the types and extensions around a line
            for index, line in enumerate(lines):
                if line.lstrip().startswith("//"):
                    continue
                indent = len(line) - len(line.lstrip())
                kind_name = KIND_NAME.search(line)
                kind, name = (kind_name.group(1), (kind_name.group(2) or "").split(".")[-1]) if kind_name else ("", "")
                is_type = kind in ("struct", "class", "enum", "protocol", "actor", "extension", "typealias")
                if line.strip() and not line.lstrip().startswith(("@", "}")):
                    enclosing = [(i, n) for i, n in enclosing if i < indent]
                match = DECLARATION.match(line)
                if match:
                    inside = all(n in types for _, n in enclosing)
                    keep = inside and (name in types if is_type else (kind == "init" or name in members))
                    if not keep and not restoring:
                        lines[index] = line[:match.end() - len("public")] + "package" + line[match.end():]
                package = re.match(r'^(\s*)((?:@[\w.]+(?:\([^)]*\))?\s+)*)' + MODIFIERS + r'package(?=\s)', line)
                if restoring and package and enclosing and enclosing[-1][1] in protocols \
                        and not is_type and kind != "init" and name in members:
                    lines[index] = line[:package.end() - len("package")] + "public" + line[package.end():]
                    changed += 1
                if is_type and kind != "typealias" and re.match(r'\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:\w+\s+)*' + kind + r'\b', line):
                    enclosing.append((indent, name))
            open(path, "w").write("\n".join(lines))
    return changed

def restore(path, number):
    if not path.startswith(f"{ROOT}/Sources/"):
        return False
    lines = open(path).read().split("\n")
    text = lines[number - 1]
    if text.lstrip().startswith("//") or not re.search(r'\bpackage(?=\s)', text):
        return False
    lines[number - 1] = re.sub(r'\bpackage(?=\s)', "public", text, count=1)
    open(path, "w").write("\n".join(lines))
    return True

NEEDS_PUBLIC = ("must be declared public", "must be as accessible", "cannot be declared public",
                "is inaccessible due to 'package' protection level", "must be declared package")

def fix(output):
    """Restores `public` where the diagnostics say; returns how many declarations changed. Each diagnostic comes
    as a header (`path:line:column: error: ...`), or inline under a line of the last header's file in its code
    excerpt (`NN | code`, then a marker `- note: ...`)."""
    fixed, path, number = 0, None, 0
    for line in output.split("\n"):
        header = re.match(r'(/\S+\.swift):(\d+):(\d+): (error|warning|note): (.*)', line)
        excerpt = re.match(r'\s*(\d+) \| ', line)
        marker = re.match(r'\s*\|\s*`- (error|warning|note): (.*)', line)
        if header:
            path, number, column, kind, message = header.group(1), int(header.group(2)), int(header.group(3)), header.group(4), header.group(5)
        elif excerpt:
            number = int(excerpt.group(1))
            continue
        elif marker and path:
            kind, message = marker.group(1), marker.group(2)
        else:
            continue
        if kind == "warning" and "requires 'subscript(dynamicMember:)' to be as accessible" in message:
            lines = open(path).read().split("\n")
            fixed += sum(restore(path, i + 1) for i, l in enumerate(lines) if re.match(r'\s*package\s+subscript\b.*dynamicMember', l))
        elif kind == "error" and "is package and cannot be referenced from a default argument" in message:
            fixed += restore_default_argument(path, number, column)
        elif (kind == "note" and ("declared here" in message or "as 'public'" in message)) \
                or (kind == "error" and any(s in message for s in NEEDS_PUBLIC)):
            fixed += restore(path, number)
    return fixed

def restore_default_argument(path, number, column):
    """What a public default argument refers to (`= SystemClock()`, `= UsableCores.count`): the type, and its
    initialisers or the member named, in the type's declaration and its extensions."""
    text = open(path).read().split("\n")[number - 1]
    name = re.match(r'\w+', text[column - 1:])
    if not name:
        return 0
    owner = re.search(r'(\w+)\.$', text[:column - 1])
    owner, member = (owner.group(1), name.group(0)) if owner else (name.group(0), None)
    wanted = r'\s*package\s+(?:convenience\s+)?init\b' if member is None else \
        r'\s*package\s+(?:(?:static|final|nonisolated)\s+)*(?:func|var|let)\s+' + member + r'\b'
    fixed = 0
    for module in sorted(os.listdir(f"{ROOT}/Sources")):
        for source in swift_files(module):
            lines = open(source).read().split("\n")
            for index, line in enumerate(lines):
                match = re.match(r'(\s*)(?:package|public)\s+(?:final\s+)?(?:struct|class|enum|actor|extension)\s+' + owner + r'\b', line)
                if not match:
                    continue
                fixed += restore(source, index + 1)
                for inner in range(index + 1, len(lines)):
                    if lines[inner].startswith(match.group(1) + "}"):
                        break
                    if re.match(wanted, lines[inner]):
                        fixed += restore(source, inner + 1)
    return fixed

def build_product():
    result = subprocess.run(["nice", "-n", "10", "swift", "build", "--build-tests"], cwd=ROOT, capture_output=True, text=True)
    return result.returncode, result.stdout + result.stderr

def product_flags():
    """The flags the product's build gave swiftc for its widest test target: its modules and C module maps."""
    manifest = open(f"{ROOT}/.build/debug.yaml").read()
    for match in re.finditer(r'args: (\[.*?\])\n', manifest):
        arguments = json.loads(match.group(1))
        if "-module-name" in arguments and arguments[arguments.index("-module-name") + 1] == "HooklineTests" \
                and "-emit-module" in arguments:
            flags, skip = [], 0
            for argument in arguments[1:]:
                if skip:
                    skip -= 1
                    continue
                if argument in ("-module-name", "-emit-module-path", "-output-file-map", "-index-store-path", "-package-name", "-j2"):
                    skip = 0 if argument == "-j2" else 1
                    continue
                if argument.startswith("@") or argument.endswith(".swift") or argument in (
                        "-emit-dependencies", "-emit-module", "-incremental", "-c", "-enable-batch-mode",
                        "-serialize-diagnostics", "-parseable-output", "-enable-testing", "-parse-as-library"):
                    continue
                flags.append(argument)
            return flags
    sys.exit("build the product first (swift build --build-tests): no command for HooklineTests in .build/debug.yaml")

def side_targets():
    """(module name, files, modules it needs built first) for each target of the side packages."""
    targets = [(name, [f"{ROOT}/Benchmarks/{name}/main.swift"], [])
               for name in sorted(os.listdir(f"{ROOT}/Benchmarks")) if os.path.isfile(f"{ROOT}/Benchmarks/{name}/main.swift")]
    for name in sorted(os.listdir(f"{ROOT}/FuzzTargets/Targets")):
        folder = f"{ROOT}/FuzzTargets/Targets/{name}"
        targets.append(("Fuzz" + name.replace("-", ""), sorted(f"{folder}/{f}" for f in os.listdir(folder) if f.endswith(".swift")),
                        ["FuzzSupport"]))
    return targets

def typecheck_sides():
    flags = product_flags()
    scratch = tempfile.mkdtemp(prefix="access-pass-")
    support = subprocess.run(["swiftc", *flags, "-module-name", "FuzzSupport", "-package-name", "fuzz", "-parse-as-library",
                              "-emit-module", "-emit-module-path", f"{scratch}/FuzzSupport.swiftmodule",
                              f"{ROOT}/FuzzTargets/Support/Fuzz.swift"], capture_output=True, text=True)
    output, failed = support.stdout + support.stderr, support.returncode != 0
    for name, files, _ in side_targets():
        library = [] if any(f.endswith("main.swift") for f in files) else ["-parse-as-library"]
        result = subprocess.run(["nice", "-n", "10", "swiftc", *flags, "-I", scratch, "-module-name", name, "-package-name", "side",
                                 *library, "-typecheck", *files], capture_output=True, text=True)
        output += result.stdout + result.stderr
        failed = failed or result.returncode != 0
        print(f"  {name}: {'fails' if result.returncode else 'typechecks'}", flush=True)
    return failed, output

if __name__ == "__main__":
    if "--resume" not in sys.argv:  # --resume: the loop alone, on a tree converted before
        convert()
    for round in range(1, 40):
        code, output = build_product()
        errors = [l for l in output.split("\n") if ": error:" in l]
        print(f"round {round}: product build exit {code}, {len(errors)} errors", flush=True)
        if code == 0 and fix(output):  # warnings that will be errors
            continue
        if code != 0:
            if not fix(output):
                print("\n".join(errors[:40]))
                sys.exit("stuck: errors that restoring `public` does not fix")
            continue
        failed, output = typecheck_sides()
        if not failed:
            print("done: the product builds and the side packages typecheck")
            break
        if not fix(output) and not convert(restoring=True):
            print("\n".join([l for l in output.split("\n") if ": error:" in l][:40]))
            sys.exit("stuck: side package errors that restoring `public` does not fix")
