#!/usr/bin/python3
# A toy external graph pass behind qdiff's graph-pass request
# (docs/process-protocol.md): fuse-mul-into-linear (SPEC section 8),
#   mul(linear(x, dequantize(Wq, s, z), b), c)  ->  linear(x, dequantize(Wq, s', z'), b')
#   s' = s * reshape(c_K, [K, 1]),  b' = b * c_K
# for a per-tensor or [K, 1] weight scale and a constant c of shape [K] or [1].
# --bug plants the defect qdiff exists to catch: c_K multiplied into the scale
# with numpy broadcasting and no reshape, so a [K, 1] scale becomes [K, K]
# (and a per-tensor one [K]).
import math, sys

from qdiff_process import f32, json_f32, num, serve_graph_passes

BUG = "--bug" in sys.argv

def scaled(s, c):  # the weight scale times c_K: [K, 1] (or, with --bug, numpy broadcasting)
    sv, k = [num(v) for v in s["data"]], len(c)
    if BUG and len(sv) == 1: return {"dtype": "f32", "shape": (s["shape"][:-1] or []) + [k], "data": [f32(sv[0] * x) for x in c]}
    if BUG: return {"dtype": "f32", "shape": [k, k], "data": [f32(a * x) for a in sv for x in c]}
    return {"dtype": "f32", "shape": [k, 1], "data": [f32((sv[0] if len(sv) == 1 else sv[i]) * x) for i, x in enumerate(c)]}

def spread(z, shape):  # the zero point, repeated to the new scale's shape
    n = math.prod(shape)
    return {"dtype": z["dtype"], "shape": shape, "data": z["data"] * n if len(z["data"]) == 1 else [z["data"][i // (n // len(z["data"]))] for i in range(n)]}

def fold_one(g):
    nodes, uses = g["nodes"], [0] * len(g["nodes"])
    for i in [i for n in nodes for i in n.get("inputs", [])] + g["outputs"]:
        if i >= 0: uses[i] += 1
    const = lambda i: nodes[i]["value"] if i >= 0 and nodes[i]["kind"] == "constant" and uses[i] == 1 else None
    for m in (n for n in nodes if n["kind"] == "mul"):
        for lin_id, c_id in (m["inputs"], m["inputs"][::-1]):
            lin, c = nodes[lin_id], const(c_id)
            if lin["kind"] != "linear" or uses[lin_id] != 1 or not c or c["dtype"] != "f32" or len(c["shape"]) > 1: continue
            dq = nodes[lin["inputs"][1]]
            if dq["kind"] != "dequantize" or uses[dq["id"]] != 1 or "axis" in dq or "block_size" in dq or dq["zero_point_domain"] == "float": continue
            w = nodes[dq["inputs"][0]]["value"] if nodes[dq["inputs"][0]]["kind"] == "constant" else None
            s_id, z_id, b_id = dq["inputs"][1], dq["inputs"][2], lin["inputs"][2]
            s, z, b = const(s_id), const(z_id), const(b_id)
            if not w or len(w["shape"]) != 2 or not s or (z_id >= 0 and not z) or (b_id >= 0 and not b): continue
            k = w["shape"][0]
            if b and (b["dtype"] != "f32" or b["shape"] != [k]): continue
            ck = [num(v) for v in c["data"]] * (k if len(c["data"]) == 1 else 1)
            if len(ck) != k or not all(math.isfinite(x) and x > 0 for x in ck): continue
            if len(s["data"]) != 1 and s["shape"] != [k, 1]: continue
            new_s = scaled(s, ck)
            old_b = [num(v) for v in b["data"]] if b else []
            new_b = [f32(v * x) for v, x in zip(old_b, ck)]
            if not all(1.1754944e-38 <= v <= 3.4028235e38 for v in new_s["data"]) or any(
                    math.isfinite(v) and not math.isfinite(n) for v, n in zip(old_b, new_b)): continue
            nodes[s_id]["value"] = new_s
            if z: nodes[z_id]["value"] = spread(z, new_s["shape"])
            if b: b["data"] = [json_f32(n) for n in new_b]
            return remove(g, m["id"], lin_id)
    return None

def remove(g, gone, replacement):  # drops node `gone`, its users read `replacement`
    renumber = lambda i: replacement if i == gone else (i - 1 if i > gone else i)
    g["nodes"] = [n for n in g["nodes"] if n["id"] != gone]
    for n in g["nodes"]:
        n["id"] = renumber(n["id"])
        if "inputs" in n: n["inputs"] = [renumber(i) for i in n["inputs"]]
    g["outputs"] = [renumber(i) for i in g["outputs"]]
    return g

def fold_all(graph):
    while (folded := fold_one(graph)) is not None: graph = folded
    return graph

serve_graph_passes("toy-pass-pipeline" + ("-bug" if BUG else ""), {"fuse-mul-into-linear": fold_all})
