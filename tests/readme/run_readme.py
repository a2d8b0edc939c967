#!/usr/bin/env python3
"""Runs the code blocks of a Markdown file that are marked as runnable.

    tests/readme/run_readme.py [--python PY] [--bin-dir DIR] [--lib-dir DIR] [-v] [FILE.md[:LINE]...]

(README.md by default; FILE.md:LINE runs only the block whose fence is on LINE.)

A fenced block is runnable when the line right before its fence is a marker:

    <!-- readme-test -->
    <!-- readme-test: OPTION ARGS -->       (one option per marker line; stack them)

Options: `env NAME=VALUE` (set for the block), `setup CODE` (a line put before
the block, in its language), `check CMD` (a shell command run after a sh block,
in the same shell), `timeout SECS` (default 300), `file PATH` (a block in any
language is written to PATH, `~` being the temporary HOME, and then the checks
run in that HOME's parent directory), `server` (a sh block whose
first line starts a server that runs until stopped: it is started in the
background, its first line of output must be the `# ` comment that follows it,
then the rest of the block and the checks run, then the server is stopped).

Languages: sh/bash (run with `bash -euo pipefail` in the repository root),
c (compiled with `cc -std=c99 -Wall -Wextra -Wpedantic -Werror`, linked to
the library in --lib-dir, and run), python (run with --python).

Each block runs against its own IAM simulator (tests/with-sim.sh, clients in
tests/README.md), with a temporary HOME (so caches and profiles go there),
`oauth2cc` from --bin-dir (the release build by default, as the README builds
it) first on PATH, no OAUTH2CC_* variable but the simulator's OAUTH2CC_SIM_*,
and these placeholders of the README replaced:

    https://iam.example.com[/auth]/realms/R/protocol/openid-connect/token
                             -> the simulator's token URL (realm "test", /auth kept)
    https://iam.example.com[/auth]/realms/R  (an issuer: nothing after R)
                             -> the simulator's issuer (realm "test", /auth kept)
    https://iam.example.com/ -> the simulator's URL
    https://api.example.com/ -> the simulator's protected API (SIM/api/)
    /etc/myjob/secret        -> a temporary file holding s3cret-value (client svc)
    /etc/myjob/key.pem       -> tests/fixtures/keys/p256.pkcs8.pem, a test key (client key-svc)
    127.0.0.1:8180           -> 127.0.0.1:PORT, a free port

and curl made to fail on an HTTP error (`fail` in the temporary HOME's .curlrc).

A block must not leave files in the repository (`git status --porcelain` is
compared before and after each block). Prints one line per block and a closing
`N passed, N failed`; exits 1 when a block failed, 2 on a usage error.
"""

import argparse
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MARKER = re.compile(r"^\s*<!--\s*readme-test\s*(?::\s*(?P<opt>.*?))?\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
LANGS = {"sh": "sh", "bash": "sh", "shell": "sh", "c": "c", "python": "python", "py": "python"}
OPTIONS = {"env", "setup", "check", "timeout", "server", "file"}
SECRET_FILE = "/etc/myjob/secret"
KEY_FILE = "/etc/myjob/key.pem"
SECRET = "s3cret-value"


class Block:
    def __init__(self, path, line, lang, code, options):
        self.path, self.line, self.lang, self.code, self.options = path, line, lang, code, options

    def opts(self, name):
        return [arg for opt, arg in self.options if opt == name]


def parse(path):
    """The marked blocks of a Markdown file, and the marker errors."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, errors = [], []
    pending, pending_line = [], None
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if m:
            opt = (m.group("opt") or "").strip()
            if opt:
                name, _, arg = opt.partition(" ")
                if name not in OPTIONS:
                    errors.append(f"{path}:{i + 1}: unknown readme-test option {name!r}")
                pending.append((name, arg.strip()))
            pending_line = pending_line or i + 1
            i += 1
            continue
        f = FENCE.match(lines[i])
        if f:
            indent, fence, info = f.group("indent"), f.group("fence"), f.group("info").lower()
            start = i + 1
            j = start
            while j < len(lines) and not lines[j].strip().startswith(fence):
                j += 1
            if pending_line is not None:
                body = [ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in lines[start:j]]
                if any(opt == "file" for opt, _ in pending):
                    blocks.append(Block(path, i + 1, "file", "\n".join(body) + "\n", pending))
                elif info not in LANGS:
                    errors.append(f"{path}:{i + 1}: marked block has language {info!r}, "
                                  f"not one of {sorted(LANGS)}")
                else:
                    blocks.append(Block(path, i + 1, LANGS[info], "\n".join(body) + "\n", pending))
            pending, pending_line = [], None
            i = j + 1
            continue
        if pending_line is not None and lines[i].strip():
            errors.append(f"{path}:{pending_line}: readme-test marker not followed by a fenced block")
            pending, pending_line = [], None
        i += 1
    if pending_line is not None:
        errors.append(f"{path}:{pending_line}: readme-test marker not followed by a fenced block")
    return blocks, errors


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def substitute(text, sim_url, secret_file, port):
    text = re.sub(
        r"https://iam\.example\.com(/auth)?/realms/[^/\s\"']+/protocol/openid-connect/token",
        lambda m: f"{sim_url}{m.group(1) or ''}/realms/test/protocol/openid-connect/token",
        text,
    )
    # An issuer (the realm's URL, nothing after it): the simulator's realm.
    text = re.sub(
        r"https://iam\.example\.com(/auth)?/realms/[^/\s\"']+(?=[\s\"']|$)",
        lambda m: f"{sim_url}{m.group(1) or ''}/realms/test",
        text,
        flags=re.M,
    )
    text = text.replace("https://iam.example.com/", sim_url + "/")
    text = text.replace("https://api.example.com/", sim_url + "/api/")
    text = text.replace(SECRET_FILE, secret_file)
    text = text.replace(KEY_FILE, os.path.join(ROOT, "tests", "fixtures", "keys", "p256.pkcs8.pem"))
    return text.replace("127.0.0.1:8180", f"127.0.0.1:{port}")


def block_env(home, bin_dir, extra):
    """The environment of a block: the caller's, minus its oauth2cc and make settings."""
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("OAUTH2CC_") and not k.startswith("OAUTH2CC_SIM_"))
           and not k.startswith("XDG_") and k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    # cargo and rustup find their homes through HOME unless told.
    real_home = os.path.expanduser("~")
    env.setdefault("CARGO_HOME", os.path.join(real_home, ".cargo"))
    env.setdefault("RUSTUP_HOME", os.path.join(real_home, ".rustup"))
    env["HOME"] = home
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    for item in extra:
        name, _, value = item.partition("=")
        env[name] = value
    return env


def run(cmd, env, cwd, timeout, out):
    """Runs a command, appending its output to out; its exit status (124 on timeout)."""
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        data, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        data, _ = p.communicate()
        out.append(data.decode(errors="replace"))
        out.append(f"timed out after {timeout} s\n")
        return 124
    out.append(data.decode(errors="replace"))
    return p.returncode


def err_trap(spec, offset):
    """A first script line naming the command that failed (by its line in the Markdown file, unless None)."""
    name = spec["name"]
    where = f"{name}:{spec['line']}: check" if offset is None else f"{name}:$((LINENO + {offset})):"
    return f"trap 'echo \"{where} failed: $BASH_COMMAND\" >&2' ERR\n"


def run_server_block(code, checks, env, spec, tmp, out):
    """First line: a server, in the background; the '# ' lines after it: its first output line."""
    lines = code.strip("\n").split("\n")
    server, rest = lines[0], lines[1:]
    expected = []
    while rest and rest[0].startswith("# "):
        expected.append(rest.pop(0)[2:])
    timeout = spec["timeout"]
    log = os.path.join(tmp, "server.out")
    with open(log, "wb") as logf:
        p = subprocess.Popen(["bash", "-c", "exec " + server], env=env, cwd=ROOT, stdout=logf,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while True:
            with open(log, encoding="utf-8", errors="replace") as f:
                got = f.read()
            if got.count("\n") >= len(expected) or p.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        got_lines = got.split("\n")[: len(expected)]
        if p.poll() is not None or got_lines != expected:
            out.append(f"$ {server}\n{got}")
            out.append(f"expected the server to print {expected!r} and keep running\n")
            return 1
        script = err_trap(spec, spec["line"] + len(expected)) + "\n".join(rest + checks) + "\n"
        return run(["bash", "-euo", "pipefail", "-c", script], env, ROOT, timeout, out)
    finally:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass  # it has already exited
        p.wait()


def exec_block(spec):
    """Runs one block; called through tests/with-sim.sh, which exported the simulator's URL."""
    sim_url = os.environ["OAUTH2CC_SIM_URL"]
    timeout = spec["timeout"]
    out = []
    with tempfile.TemporaryDirectory(prefix="readme-test-") as tmp:
        home = os.path.join(tmp, "home")
        os.mkdir(home)
        # curl, as the README uses it, exits 0 on an HTTP error: make it fail.
        with open(os.path.join(home, ".curlrc"), "w", encoding="utf-8") as f:
            f.write("fail\n")
        secret_file = os.path.join(tmp, "secret")
        with open(secret_file, "w", encoding="utf-8") as f:
            f.write(SECRET + "\n")
        port = free_port()
        sub = lambda s: substitute(s, sim_url, secret_file, port)  # noqa: E731
        code = sub("".join(line + "\n" for line in spec["setup"]) + spec["code"])
        checks = [sub(c) for c in spec["checks"]]
        env = block_env(home, spec["bin_dir"], [sub(e) for e in spec["env"]])
        if spec["file"]:
            # A configuration file: written where the block says, then the checks use it.
            target = os.path.join(tmp, spec["file"][-1].replace("~", home, 1))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "w", encoding="utf-8") as f:
                f.write(code)
            script = err_trap(spec, None) + "\n".join(checks) + "\n"
            rc = run(["bash", "-euo", "pipefail", "-c", script], env, tmp, timeout, out)
        elif spec["lang"] == "sh" and spec["server"]:
            rc = run_server_block(code, checks, env, spec, tmp, out)
        elif spec["lang"] == "sh":
            script = err_trap(spec, spec["line"] - 1 - len(spec["setup"])) + code + "\n".join(checks) + "\n"
            rc = run(["bash", "-euo", "pipefail", "-c", script], env, ROOT, timeout, out)
        elif spec["lang"] == "c":
            src, exe = os.path.join(tmp, "block.c"), os.path.join(tmp, "block")
            with open(src, "w", encoding="utf-8") as f:
                f.write(code)
            lib = spec["lib_dir"]
            cmd = [os.environ.get("CC", "cc"), "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                   "-I", os.path.join(ROOT, "include"), "-I", os.path.join(ROOT, "bindings", "c"),
                   "-o", exe, src]
            if "oauth2cc_curl.h" in code:
                cmd += [os.path.join(ROOT, "bindings", "c", "oauth2cc_curl.c")]
            cmd += ["-L", lib, "-loauth2cc", "-Wl,-rpath," + lib]
            if "oauth2cc_curl.h" in code:
                cmd += ["-lcurl"]
            out.append("$ " + shlex.join(cmd) + "\n")
            rc = run(cmd, env, tmp, timeout, out)
            if rc == 0:
                rc = run([exe], env, tmp, timeout, out)
        else:
            src = os.path.join(tmp, "block.py")
            with open(src, "w", encoding="utf-8") as f:
                f.write(code)
            rc = run([spec["python"], src], env, tmp, timeout, out)
    sys.stdout.write("".join(out))
    return rc


def git_status():
    try:
        r = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                           capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None  # not a git checkout: nothing to compare
    return set(r.stdout.splitlines())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="*", default=[os.path.join(ROOT, "README.md")])
    ap.add_argument("--python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    ap.add_argument("--bin-dir", default=os.path.join(ROOT, "target", "release"))
    ap.add_argument("--lib-dir", default=os.path.join(ROOT, "build", "debug"))
    ap.add_argument("-v", "--verbose", action="store_true", help="show the output of passing blocks too")
    ap.add_argument("--exec-block", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.exec_block:
        with open(args.exec_block, encoding="utf-8") as f:
            return exec_block(json.load(f))

    passed = failed = 0
    for arg in args.files:
        path, _, only = arg.rpartition(":") if re.search(r":\d+$", arg) else (arg, "", "")
        try:
            blocks, errors = parse(path)
        except OSError as e:
            print(f"{path}: {e.strerror}", file=sys.stderr)
            return 2
        if only:
            blocks = [b for b in blocks if b.line == int(only)]
            errors = [e for e in errors if e.startswith(f"{path}:{only}:")]
        for e in errors:
            print(f"{e} FAILED")
            failed += 1
        name = os.path.relpath(path)
        for b in blocks:
            timeouts = b.opts("timeout")
            spec = {
                "name": name, "line": b.line, "lang": b.lang, "code": b.code,
                "setup": b.opts("setup"), "checks": b.opts("check"),
                "env": b.opts("env"), "server": bool(b.opts("server")), "file": b.opts("file"),
                "timeout": int(timeouts[-1]) if timeouts else 300,
                "python": os.path.abspath(args.python), "bin_dir": os.path.abspath(args.bin_dir),
                "lib_dir": os.path.abspath(args.lib_dir),
            }
            problem = None
            if spec["server"] and b.lang != "sh" or spec["checks"] and b.lang not in ("sh", "file"):
                problem = "server applies to sh blocks, check to sh blocks and files\n"
            if spec["file"] and not spec["checks"]:
                problem = "a file block needs a check that uses it\n"
            before = git_status()
            start = time.monotonic()
            if problem is None:
                with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                    json.dump(spec, f)
                try:
                    r = subprocess.run(
                        [os.path.join(ROOT, "tests", "with-sim.sh"), "--", sys.executable,
                         os.path.abspath(__file__), "--exec-block", f.name],
                        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
                finally:
                    os.unlink(f.name)
                output = r.stdout.decode(errors="replace")
                if r.returncode != 0:
                    problem = output + f"exit status {r.returncode}\n"
            after = git_status()
            if problem is None and before is not None and after != before:
                left = "\n".join(sorted(after ^ before))
                problem = output + f"the block changed the repository (git status):\n{left}\n"
            secs = time.monotonic() - start
            if problem is None:
                print(f"{name}:{b.line} {b.lang} ok ({secs:.1f} s)")
                if args.verbose:
                    for line in output.rstrip("\n").split("\n"):
                        print("    " + line)
                passed += 1
            else:
                print(f"{name}:{b.line} {b.lang} FAILED ({secs:.1f} s)")
                for line in problem.rstrip("\n").split("\n"):
                    print("    " + line)
                failed += 1
            sys.stdout.flush()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
