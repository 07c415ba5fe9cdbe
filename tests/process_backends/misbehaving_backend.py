#!/usr/bin/python3
# A toy process backend that misbehaves on purpose (tests/tools_process_backend_test.cc):
# it declines every quantize_affine case with fewer than 4 input elements and,
# on the others, does what MODE says:
#   crash     kills itself with SIGSEGV           hang      never answers
#   garbage   prints a line that is not JSON      two-lines prints two answers
#   stateful  crashes when the case has as many elements as the one before it
#             (a stale cache keyed by size), declines everything else
import json, os, signal, sys, time

mode, previous_size = sys.argv[1], -1
for line in sys.stdin:
    request = json.loads(line)
    if request.get("qdiff") == "hello":
        print(json.dumps({"qdiff": "hello", "version": 1, "name": "misbehaving-" + mode, "ops": ["quantize_affine"]}), flush=True)
        continue
    size, previous = len(request["input"]["data"]), previous_size
    previous_size = size
    if mode == "stateful" and size >= 4 and size == previous:
        os.kill(os.getpid(), signal.SIGSEGV)
    if size < 4 or mode == "stateful":
        print(json.dumps({"unsupported": "fewer than 4 elements"}), flush=True)
    elif mode == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif mode == "hang":
        time.sleep(3600)
    elif mode == "garbage":
        print("this is not JSON", flush=True)
    elif mode == "two-lines":
        print('{"unsupported": "one"}\n{"unsupported": "two"}', flush=True)
