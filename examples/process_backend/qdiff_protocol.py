"""The qdiff process protocol (docs/process-protocol.md) for Python backends:
f32 values as JSON carries them, and the request loop of a graph-pass
backend. Imported by toy_pass_pipeline.py and examples/fx_passes/."""
import json
import math
import struct
import sys


def f32(v):
    """Rounds a double to the nearest f32 (ties to even); overflow is inf."""
    try:
        return struct.unpack("f", struct.pack("f", v))[0]
    except OverflowError:
        return math.copysign(math.inf, v)


def num(v):
    """An f32 value of a JSON tensor: a number, "nan", "inf", "-inf" or a C99 hex float."""
    return f32(float.fromhex(v) if isinstance(v, str) and "x" in v else float(v))


def json_f32(v):
    """A value for JSON: non-finite values are strings (NaN is not JSON)."""
    return v if math.isfinite(v) else str(v)


def hello(name, ops=(), passes=()):
    return {"qdiff": "hello", "version": 1, "name": name, "ops": list(ops), "passes": list(passes)}


def graph_pass_answer(request, passes):
    """Answers a graph-pass request with `passes` (name -> function of the
    graph member, in pipeline order); "pipeline" runs them all in order."""
    name, graph = request.get("pass"), request["graph"]
    if name == "pipeline":
        for run in passes.values():
            graph = run(graph)
    elif name in passes:
        graph = passes[name](graph)
    else:
        return {"unsupported": "no graph pass " + str(name)}
    return graph if "unsupported" in graph else {"graph": graph}


def serve_graph_passes(name, passes):
    """The request loop of a pass-only backend: one JSON line in, one out,
    flushed; op requests are declined."""
    for line in sys.stdin:
        request = json.loads(line)
        if request.get("qdiff") == "hello":
            answer = hello(name, passes=passes.keys())
        elif request.get("qdiff") == "graph-pass":
            answer = graph_pass_answer(request, passes)
        else:
            answer = {"unsupported": "graph passes only"}
        print(json.dumps(answer), flush=True)
