#!/usr/bin/python3
# A toy process backend with a stale cache (tests/tools_process_backend_findings_test.cc):
# it forwards each request to examples/process_backend/python_backend.py, but
# keeps the first answer for each input size and gives it again to every
# later request of that size, as an engine that keys a cached kernel on too
# little would. A case alone in a fresh process is answered right.
import json, os, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
inner = subprocess.Popen([sys.executable, os.path.join(here, "..", "..", "examples", "process_backend", "python_backend.py")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
first_answer = {}
for line in sys.stdin:
    inner.stdin.write(line)
    inner.stdin.flush()
    answer = inner.stdout.readline()
    request = json.loads(line)
    if "input" in request and "outputs" in answer:
        answer = first_answer.setdefault(len(request["input"]["data"]), answer)
    sys.stdout.write(answer)
    sys.stdout.flush()
