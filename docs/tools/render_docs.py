import json, os, subprocess, sys, re
BASE = sys.argv[1] if len(sys.argv) > 1 else "http://localhost:18081"
# Actuator (probes, metrics) is on the management port: MANAGEMENT_URL, else the service's port + 1.
MBASE = os.environ.get("MANAGEMENT_URL") or re.sub(r":(\d+)$", lambda m: ":" + str(int(m.group(1)) + 1), BASE)
ROW = "[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]"
ROW2 = "[0,0,0,12,13,5,0,0,0,0,0,11,16,9,0,0,0,0,3,15,16,6,0,0,0,7,15,16,16,2,0,0,0,0,1,16,16,3,0,0,0,0,1,16,16,6,0,0,0,0,1,16,16,6,0,0,0,0,0,11,16,10,0,0]"

def run(cmd):
    cmd = cmd.replace("http://localhost:8080", BASE).replace("http://localhost:8081", MBASE)
    out = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True).stdout
    return out

def shorten(obj, n=4):
    if isinstance(obj, list):
        if len(obj) > 12 and all(isinstance(x, (int, float)) for x in obj):
            return obj[:n] + ["..."]
        return [shorten(x, n) for x in obj]
    if isinstance(obj, dict):
        return {k: shorten(v, n) for k, v in obj.items()}
    return obj

def pretty(text, short=False):
    try:
        obj = json.loads(text)
    except Exception:
        return text
    if short:
        obj = shorten(obj)
    s = json.dumps(obj, indent=2)
    s = s.replace('"..."', '...')
    # keep numeric arrays on one line
    s = re.sub(r'\[\s+([^\[\]{}]*?)\s+\]', lambda m: '[' + re.sub(r'\s*\n\s*', ' ', m.group(1)) + ']', s)
    return s

def show(title, cmd, short=False, raw=False, head=None):
    out = run(cmd)
    if head:
        out = "\n".join(out.splitlines()[:head]) + "\n..."
    print(f"```bash\n{cmd}\n```\n")
    print("```" + ("" if raw else "json") + "\n" + (out.strip() if raw else pretty(out, short)) + "\n```\n")
    return out


def render(template_path):
    out = []
    for line in open(template_path):
        if line.startswith("@@ "):
            spec = line[3:].rstrip("\n")
            flags = set()
            while spec.split(" ", 1)[0] in ("short", "raw", "head20", "status"):
                f, spec = spec.split(" ", 1)
                flags.add(f)
            cmd = spec.replace("$ROW2", ROW2).replace("$ROW", ROW)
            result = run(cmd)
            if "head20" in flags:
                result = "\n".join(l for l in result.splitlines() if l.strip())
                result = "\n".join(result.splitlines()[:20]) + "\n..."
            out.append(f"```bash\n{cmd}\n```\n\n")
            if "raw" in flags or "head20" in flags:
                out.append("```\n" + result.strip() + "\n```\n")
            else:
                out.append("```json\n" + pretty(result, "short" in flags) + "\n```\n")
        else:
            out.append(line)
    return "".join(out)

if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[2] == "render":
    print(render(sys.argv[3]), end="")

def quickstart(readme_path):
    cmd = ("curl -s -X POST 'http://localhost:8080/predict?mcSamples=100&seed=7' -H 'Content-Type: application/json' "
           "-d '{\"instances\": [$ROW]}'").replace("$ROW", ROW)
    result = pretty(run(cmd))
    text = open(readme_path).read()
    start = text.index("```json\n", text.index("## Quick start")) + len("```json\n")
    end = text.index("```", start)
    open(readme_path, "w").write(text[:start] + result + "\n" + text[end:])

if __name__ == "__main__" and len(sys.argv) > 2 and sys.argv[2] == "quickstart":
    quickstart(sys.argv[3])
