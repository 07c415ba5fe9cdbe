#include "properties/reduce_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <set>

#include "core/error.h"
#include "properties/fusion_legality.h"
#include "reference/graph_eval.h"

namespace qdiff::props {
namespace {

bool is_operator(const Node& n) { return n.kind != NodeKind::input && n.kind != NodeKind::constant; }

// What the reference makes of a case: it evaluates it, or rejects it with
// an error kind. Candidates must keep the original's judgement.
struct ReferenceJudgement {
  bool accepts = true;
  ErrorKind kind = ErrorKind::malformed_case;
  bool operator==(const ReferenceJudgement&) const = default;
};

ReferenceJudgement judge_with_reference(const GraphCase& c, std::vector<Tensor>* values = nullptr) {
  try {
    std::vector<Tensor> v = reference::evaluate_graph_values(c.graph, c.inputs);
    if (values) *values = std::move(v);
    return {};
  } catch (const Error& e) {
    return {false, e.kind()};
  } catch (const std::exception&) {
    return {false, ErrorKind::malformed_case};
  }
}

// Every tensor a graph case holds, with the ones whose data matter: the
// moves that reshape tensors apply the same edit to each.
template <typename F>
void for_each_tensor(GraphCase& c, F&& f) {
  for (Tensor& t : c.inputs) f(t);
  for (Node& n : c.graph.nodes) {
    if (n.kind == NodeKind::input || n.kind == NodeKind::constant) f(n.value);
    if (is_fused_kind(n.kind)) {
      for (QuantParams* p : {&n.params[0], &n.params[1], &n.out_params}) {
        f(p->scale);
        if (p->zero_point) f(*p->zero_point);
      }
    }
  }
}

// Uses of node `n` (later nodes' inputs and the outputs) read `r` instead.
GraphCase replace_uses(const GraphCase& c, int n, int r) {
  GraphCase out = c;
  for (size_t i = size_t(n) + 1; i < out.graph.nodes.size(); ++i) {
    for (int& in : out.graph.nodes[i].inputs) {
      if (in == n) in = r;
    }
  }
  for (int& o : out.graph.outputs) {
    if (o == n) o = r;
  }
  return out;
}

// The inputs a node's value is computed FROM (not its params): what a
// bypass may substitute for it.
std::vector<int> data_inputs(const Node& n) {
  switch (n.kind) {
    case NodeKind::quantize:
    case NodeKind::dequantize:
    case NodeKind::relu:
    case NodeKind::reshape:
    case NodeKind::linear:
    case NodeKind::conv2d:
    case NodeKind::qlinear:
    case NodeKind::qconv2d: return {n.input(0)};
    case NodeKind::add:
    case NodeKind::mul:
    case NodeKind::qadd:
    case NodeKind::qmul: return {n.input(0), n.input(1)};
    default: return {};
  }
}

// Nodes feeding a weight or a bias (slot 1 and 2 of linear / conv2d and
// their fused forms), transitively: the weight space, whose dims are not
// the activations' batch dims.
std::vector<bool> weight_space(const Graph& g) {
  std::vector<bool> w(g.nodes.size(), false);
  const auto mark = [&](int id) {
    if (id >= 0 && size_t(id) < w.size()) w[size_t(id)] = true;
  };
  for (size_t i = g.nodes.size(); i-- > 0;) {
    const Node& n = g.nodes[i];
    if (n.kind == NodeKind::linear || n.kind == NodeKind::conv2d || n.kind == NodeKind::qlinear ||
        n.kind == NodeKind::qconv2d) {
      mark(n.input(1));
      mark(n.input(2));
    }
    if (w[i]) {
      for (int in : n.inputs) mark(in);
    }
  }
  return w;
}

// Tensor `t` with every dim of size n cut to [start, start + length).
Tensor slice_size(const Tensor& t, int64_t n, int64_t length, bool from_end) {
  Tensor out = t;
  for (int d = 0; d < t.shape().rank(); ++d) {
    if (out.shape()[d] == n) out = slice_dim(out, d, from_end ? n - length : 0, length);
  }
  return out;
}

// The power of two nearest to v (by ratio), when it is a normal f32;
// otherwise v.
float nearest_power_of_two(float v) {
  if (!std::isfinite(v) || v == 0.0f) return v;
  int e = 0;
  const float m = std::frexp(std::fabs(v), &e);  // |v| = m 2^e, m in [0.5, 1)
  // m >= 1/sqrt(2): 2^e is nearer by ratio, else 2^(e - 1).
  const float p = std::ldexp(1.0f, m >= 0.70710678f ? e : e - 1);
  if (!std::isnormal(p)) return v;
  return v < 0 ? -p : p;
}

// The expected fusion sites of a candidate, re-derived: a site whose nodes
// no longer form its pattern is dropped, the others get the firing the
// rules give on the candidate (a shrunk [K, 1] mul constant with K = 1
// folds; a bypassed relu leaves the chain fusable). `values` are the
// reference's (empty when it rejects the graph: shapes unknown).
void refresh_fusion_sites(GraphCase& c, const std::vector<Tensor>& values) {
  const std::vector<int> uses = c.graph.use_counts();
  const ShapeOf shape_of = [&values](int id) -> std::optional<Shape> {
    if (id < 0 || size_t(id) >= values.size()) return std::nullopt;
    return values[size_t(id)].shape();
  };
  std::vector<FusionSite> kept;
  for (FusionSite s : c.expected_fusions) {
    const std::optional<Firing> f = site_firing(c.graph, shape_of, uses, s);
    if (!f) continue;
    s.firing = *f;
    kept.push_back(std::move(s));
  }
  c.expected_fusions = std::move(kept);
}

bool same_case(const GraphCase& a, const GraphCase& b) {
  return write_graph_case(a) == write_graph_case(b);
}

class GraphReducer {
 public:
  GraphReducer(const GraphCase& original, const std::function<bool(const GraphCase&)>& fails,
               ReduceStats& stats, int budget)
      : judgement_(judge_with_reference(original)),
        fed_(!original.graph.input_ids().empty()),
        fails_(fails),
        stats_(stats),
        budget_(budget) {}

  bool exhausted() const { return stats_.attempts >= budget_ || checks_ >= 4 * budget_; }

  // Adopts `candidate` (pruned) if it is structurally valid, keeps the
  // reference's judgement, differs from `current` and still fails.
  bool attempt(GraphCase& current, GraphCase candidate) {
    if (exhausted()) return false;
    candidate = prune_graph_case(candidate);
    try {
      candidate.graph.check_structure();
    } catch (const Error&) {
      return false;
    }
    if (candidate.graph.nodes.size() > kMaxGraphNodes || same_case(candidate, current)) return false;
    // A graph of constants only is another kind of case (nothing is fed):
    // keep an input node when the original had one.
    if (fed_ && candidate.graph.input_ids().empty()) return false;
    ++checks_;
    std::vector<Tensor> values;
    if (!(judge_with_reference(candidate, &values) == judgement_)) return false;
    refresh_fusion_sites(candidate, values);
    ++stats_.attempts;
    if (!fails_(candidate)) return false;
    ++stats_.accepted;
    current = std::move(candidate);
    return true;
  }

  bool reference_accepts() const { return judgement_.accepts; }

 private:
  ReferenceJudgement judgement_;
  bool fed_;
  const std::function<bool(const GraphCase&)>& fails_;
  ReduceStats& stats_;
  int budget_;
  int checks_ = 0;
};

// --- 2. outputs ---------------------------------------------------------------
// One output of several; then each operator node, earliest (smallest graph)
// first, as the only output.
bool reroute_outputs(GraphCase& c, GraphReducer& r) {
  if (c.graph.outputs.size() > 1) {
    for (int o : std::vector<int>(c.graph.outputs)) {
      GraphCase s = c;
      s.graph.outputs = {o};
      if (r.attempt(c, std::move(s))) return true;
    }
  }
  if (c.graph.outputs.empty()) return false;
  const int last = *std::max_element(c.graph.outputs.begin(), c.graph.outputs.end());
  for (int m = 0; m < last && !r.exhausted(); ++m) {
    if (!is_operator(c.graph.node(m))) continue;
    GraphCase s = c;
    s.graph.outputs = {m};
    if (r.attempt(c, std::move(s))) return true;
  }
  return false;
}

// --- 3. skip blocks and bypass nodes -------------------------------------------
// Uses of node n read an earlier node of the same kind instead (the
// dequantize after block 2 replaced by the one after block 1, or by the
// input's): drops everything in between at once. Later nodes first, and for
// each the earliest replacement first (the biggest step).
bool skip_blocks(GraphCase& c, GraphReducer& r) {
  bool any = false;
  for (int n = int(c.graph.nodes.size()) - 1; n >= 0 && !r.exhausted(); --n) {
    if (n >= int(c.graph.nodes.size()) || !is_operator(c.graph.node(n))) continue;
    for (int m = 0; m < n && !r.exhausted(); ++m) {
      if (c.graph.node(m).kind != c.graph.node(n).kind) continue;
      if (r.attempt(c, replace_uses(c, n, m))) {
        any = true;
        break;
      }
    }
  }
  return any;
}


// Uses of node n read one of its data inputs, or one of theirs (a
// quantize -> dequantize pair, relu of a mul, ...) instead; later nodes
// first, so a chain collapses from its end.
bool bypass_nodes(GraphCase& c, GraphReducer& r) {
  bool any = false;
  for (int n = int(c.graph.nodes.size()) - 1; n >= 0 && !r.exhausted(); --n) {
    if (n >= int(c.graph.nodes.size()) || !is_operator(c.graph.node(n))) continue;
    std::vector<int> candidates;
    for (int m : data_inputs(c.graph.node(n))) {
      if (m < 0 || m >= n) continue;
      candidates.push_back(m);
      if (is_operator(c.graph.node(m))) {
        for (int m2 : data_inputs(c.graph.node(m))) {
          if (m2 >= 0 && m2 < m) candidates.push_back(m2);
        }
      }
    }
    // Deepest first: skipping two nodes at once is the bigger step.
    std::reverse(candidates.begin(), candidates.end());
    for (int m : candidates) {
      if (r.attempt(c, replace_uses(c, n, m))) {
        any = true;
        break;
      }
    }
  }
  return any;
}

// --- 4. optional inputs, reshapes of constants, contracts -----------------------
bool simplify_nodes(GraphCase& c, GraphReducer& r) {
  bool any = false;
  // Each constant read through optional slots (a zero point shared by a
  // quantize and its dequantize, a bias) becomes absent everywhere at once.
  for (int id = 0; id < int(c.graph.nodes.size()) && !r.exhausted(); ++id) {
    GraphCase s = c;
    bool changed = false;
    for (Node& n : s.graph.nodes) {
      const NodeArity a = node_arity(n.kind);
      for (int slot = a.required; slot < int(n.inputs.size()); ++slot) {
        if (n.inputs[size_t(slot)] == id) {
          n.inputs[size_t(slot)] = kNoInput;
          changed = true;
        }
      }
    }
    if (changed) any |= r.attempt(c, std::move(s));
  }
  // reshape(constant) -> constant (what constant folding does).
  for (int id = 0; id < int(c.graph.nodes.size()) && !r.exhausted(); ++id) {
    const Node& n = c.graph.node(id);
    if (n.kind != NodeKind::reshape || n.input(0) < 0 || c.graph.node(n.input(0)).kind != NodeKind::constant) {
      continue;
    }
    const Tensor& v = c.graph.node(n.input(0)).value;
    if (v.numel() != n.target_shape.numel()) continue;
    GraphCase s = c;
    Node folded;
    folded.kind = NodeKind::constant;
    folded.name = c.graph.node(n.input(0)).name;
    folded.value = v.reshaped(n.target_shape);
    s.graph.nodes[size_t(id)] = std::move(folded);
    any |= r.attempt(c, std::move(s));
  }
  for (int id = 0; id < int(c.graph.nodes.size()) && !r.exhausted(); ++id) {
    const Node& n = c.graph.node(id);
    if (n.kind != NodeKind::quantize || n.spec.contract == Contract::torchao) continue;
    GraphCase s = c;
    s.graph.nodes[size_t(id)].spec.contract = Contract::torchao;
    any |= r.attempt(c, std::move(s));
  }
  return any;
}

// --- 5. sizes -------------------------------------------------------------------
std::set<int64_t> sizes_of(GraphCase& c) {
  std::set<int64_t> sizes;
  for_each_tensor(c, [&](Tensor& t) {
    for (int64_t d : t.shape().dims()) {
      if (d > 1) sizes.insert(d);
    }
  });
  for (const Node& n : c.graph.nodes) {
    if (n.kind != NodeKind::reshape) continue;
    for (int64_t d : n.target_shape.dims()) {
      if (d > 1) sizes.insert(d);
    }
  }
  return sizes;
}

GraphCase shrink_size(const GraphCase& c, int64_t n, int64_t length, bool from_end) {
  GraphCase s = c;
  for_each_tensor(s, [&](Tensor& t) { t = slice_size(t, n, length, from_end); });
  for (Node& node : s.graph.nodes) {
    if (node.kind != NodeKind::reshape) continue;
    for (int d = 0; d < node.target_shape.rank(); ++d) {
      if (node.target_shape[d] == n) node.target_shape[d] = length;
    }
  }
  return s;
}

// Largest sizes first; each cut to a smaller length, keeping its first or
// its last entries.
bool shrink_sizes(GraphCase& c, GraphReducer& r) {
  bool any = false;
  for (bool progress = true; progress && !r.exhausted();) {
    progress = false;
    const std::set<int64_t> sizes = sizes_of(c);
    for (auto it = sizes.rbegin(); it != sizes.rend() && !progress && !r.exhausted(); ++it) {
      const int64_t n = *it;
      // 1, 2, half, then the other divisors (a block or group count that
      // must keep dividing the dim: 15 -> 3 or 5).
      std::vector<int64_t> lengths;
      const auto add = [&](int64_t l) {
        if (l >= 1 && l < n && std::find(lengths.begin(), lengths.end(), l) == lengths.end()) lengths.push_back(l);
      };
      add(1);
      add(2);
      add(n / 2);
      for (int64_t d = 3; d < n && lengths.size() < 8; ++d) {
        if (n % d == 0) add(d);
      }
      for (int64_t l : lengths) {
        for (bool from_end : {false, true}) {
          if ((progress = r.attempt(c, shrink_size(c, n, l, from_end)))) break;
        }
        if (progress) break;
      }
    }
    any |= progress;
  }
  return any;
}

// A fed input's leading (batch) dims one at a time, to 1 and then to half:
// shrink_sizes cuts a size everywhere it occurs, so a batch dim that shares
// its size with a weight dim (x [5, 5, 14] with K = 5) only shrinks with it,
// which may lose the failure.
bool shrink_input_batch_dims(GraphCase& c, GraphReducer& r) {
  bool any = false;
  for (bool progress = true; progress && !r.exhausted();) {
    progress = false;
    for (size_t k = 0; k < c.inputs.size() && !progress && !r.exhausted(); ++k) {
      const Shape shape = c.inputs[k].shape();
      for (int d = 0; d + 1 < shape.rank() && !progress && !r.exhausted(); ++d) {
        for (const int64_t length : {int64_t{1}, shape[d] / 2}) {
          if (progress || length < 1 || length >= shape[d]) continue;
          // Keep the first, the last or the middle rows (the failing row
          // may be any of them).
          std::vector<int64_t> starts{0, shape[d] - length};
          if ((shape[d] - length) / 2 != 0) starts.push_back((shape[d] - length) / 2);
          for (const int64_t start : starts) {
            GraphCase s = c;
            s.inputs[k] = slice_dim(c.inputs[k], d, start, length);
            const std::vector<int> ids = s.graph.input_ids();  // input node k declares input k's shape
            if (k < ids.size()) {
              Node& n = s.graph.nodes[size_t(ids[k])];
              n.value = Tensor(n.value.dtype(), s.inputs[k].shape());
            }
            if ((progress = r.attempt(c, std::move(s)))) break;
          }
        }
      }
    }
    any |= progress;
  }
  return any;
}

// --- 6. unit dims -----------------------------------------------------------------
// Drops dim d (size 1, not the last) of the first input and of every tensor
// of the same rank outside the weight space whose dim d is 1 (activation
// constants, per-channel output scales, reshape targets); legacy axes of
// quantize / dequantize nodes on data of that rank follow.
std::optional<GraphCase> drop_unit_dim(const GraphCase& c, const std::vector<Tensor>& values, int d) {
  const std::vector<int> ids = c.graph.input_ids();
  if (ids.empty()) return std::nullopt;
  const int rank = c.graph.node(ids[0]).value.shape().rank();
  if (d >= rank - 1 || c.graph.node(ids[0]).value.shape()[d] != 1) return std::nullopt;
  const std::vector<bool> weights = weight_space(c.graph);
  GraphCase s = c;
  const auto droppable = [&](const Tensor& t) { return t.shape().rank() == rank && t.shape()[d] == 1; };
  for (size_t k = 0; k < ids.size() && k < s.inputs.size(); ++k) {
    if (droppable(s.inputs[k]) && droppable(c.graph.node(ids[k]).value)) s.inputs[k] = drop_dim(s.inputs[k], d);
  }
  for (size_t i = 0; i < s.graph.nodes.size(); ++i) {
    Node& n = s.graph.nodes[i];
    if (weights[i]) continue;
    if ((n.kind == NodeKind::input || n.kind == NodeKind::constant) && droppable(n.value)) {
      n.value = drop_dim(n.value, d);
    } else if (n.kind == NodeKind::reshape && n.target_shape.rank() == rank && n.target_shape[d] == 1) {
      Shape t;
      for (int j = 0; j < rank; ++j) {
        if (j != d) t.push_back(n.target_shape[j]);
      }
      n.target_shape = t;
    } else if ((n.kind == NodeKind::quantize || n.kind == NodeKind::dequantize) && n.spec.legacy_axis &&
               n.input(0) >= 0 && size_t(n.input(0)) < values.size() && values[size_t(n.input(0))].shape().rank() == rank) {
      const int64_t a = *n.spec.legacy_axis;
      const int64_t normalized = a < 0 ? a + rank : a;
      if (normalized == d) return std::nullopt;
      if (a >= 0 && normalized > d) n.spec.legacy_axis = a - 1;
      if (a < 0 && normalized < d) n.spec.legacy_axis = a + 1;
    } else if (is_fused_kind(n.kind)) {
      return std::nullopt;  // inline params would need the same edit: not attempted
    }
  }
  return s;
}

bool drop_unit_dims(GraphCase& c, GraphReducer& r) {
  if (!r.reference_accepts()) return false;  // needs every value's rank
  bool any = false;
  for (bool progress = true; progress && !r.exhausted();) {
    progress = false;
    std::vector<Tensor> values;
    if (!judge_with_reference(c, &values).accepts) return any;
    const std::vector<int> ids = c.graph.input_ids();
    if (ids.empty()) return any;
    for (int d = 0; d + 1 < c.graph.node(ids[0]).value.shape().rank() && !progress; ++d) {
      if (const auto s = drop_unit_dim(c, values, d)) progress = r.attempt(c, *s);
    }
    any |= progress;
  }
  return any;
}

// --- 7. values ----------------------------------------------------------------------
// Tensor slots a value move may edit: fed inputs, then constants.
struct ValueSlot {
  bool fed;
  size_t index;  // into inputs, or node id
};

Tensor& slot_tensor(GraphCase& c, const ValueSlot& s) {
  return s.fed ? c.inputs[s.index] : c.graph.nodes[s.index].value;
}

std::vector<ValueSlot> value_slots(const GraphCase& c) {
  std::vector<ValueSlot> out;
  for (size_t k = 0; k < c.inputs.size(); ++k) out.push_back({true, k});
  for (size_t i = 0; i < c.graph.nodes.size(); ++i) {
    if (c.graph.nodes[i].kind == NodeKind::constant) out.push_back({false, i});
  }
  return out;
}

bool all_zero_bytes(const Tensor& t, int64_t start, int64_t end) {
  const size_t width = dtype_size(t.dtype());
  const auto* bytes = static_cast<const unsigned char*>(t.raw());
  for (size_t i = size_t(start) * width; i < size_t(end) * width; ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

// Zeroes chunks of fed inputs and of integer constants (weights, zero
// points), halving the chunk size like a delta-debugger. f32 constants are
// mostly scales, where 0 is invalid: they get powers of two instead.
bool zero_values(GraphCase& c, GraphReducer& r) {
  bool any = false;
  for (const ValueSlot& slot : value_slots(c)) {
    const Tensor& t0 = slot_tensor(c, slot);
    if (!slot.fed && t0.dtype() == DType::f32) continue;
    const int64_t n = t0.numel();
    if (n == 0 || n > 4096) continue;
    for (int64_t chunk = n; !r.exhausted(); chunk /= 2) {
      for (int64_t start = 0; start < n && !r.exhausted(); start += chunk) {
        const int64_t end = std::min(n, start + chunk);
        if (all_zero_bytes(slot_tensor(c, slot), start, end)) continue;
        GraphCase s = c;
        Tensor& t = slot_tensor(s, slot);
        std::memset(static_cast<unsigned char*>(t.raw()) + size_t(start) * dtype_size(t.dtype()), 0,
                    size_t(end - start) * dtype_size(t.dtype()));
        any |= r.attempt(c, std::move(s));
      }
      if (chunk <= 1) break;
    }
  }
  return any;
}

// f32 constants to powers of two (the whole tensor, then element by
// element on small ones); fed f32 values to 1 or 0.5 element by element.
bool simple_values(GraphCase& c, GraphReducer& r) {
  bool any = false;
  for (const ValueSlot& slot : value_slots(c)) {
    if (slot_tensor(c, slot).dtype() != DType::f32) continue;
    const int64_t n = slot_tensor(c, slot).numel();
    if (n == 0 || n > 64) continue;
    if (!slot.fed) {
      GraphCase s = c;
      for (float& v : slot_tensor(s, slot).data<float>()) v = nearest_power_of_two(v);
      if (r.attempt(c, std::move(s))) {
        any = true;
        continue;
      }
      for (int64_t i = 0; i < n && n > 1 && !r.exhausted(); ++i) {
        GraphCase e = c;
        float& v = slot_tensor(e, slot).data<float>()[size_t(i)];
        v = nearest_power_of_two(v);
        any |= r.attempt(c, std::move(e));
      }
      continue;
    }
    for (int64_t i = 0; i < n && !r.exhausted(); ++i) {
      const float v = slot_tensor(c, slot).data<float>()[size_t(i)];
      if (v == 0.0f || v == 1.0f || v == 0.5f) continue;
      const float whole = std::isfinite(v) && std::fabs(v) < 0x1p23f ? std::nearbyint(v) : v;
      for (float simple : {1.0f, 0.5f, whole}) {
        if (simple == v || simple == 0.0f) continue;
        GraphCase e = c;
        slot_tensor(e, slot).data<float>()[size_t(i)] = simple;
        if (r.attempt(c, std::move(e))) {
          any = true;
          break;
        }
      }
    }
  }
  return any;
}

}  // namespace

GraphCase prune_graph_case(const GraphCase& c) {
  const Graph& g = c.graph;
  const size_t n = g.nodes.size();
  std::vector<bool> live(n, false);
  for (int o : g.outputs) {
    if (o >= 0 && size_t(o) < n) live[size_t(o)] = true;
  }
  for (size_t i = n; i-- > 0;) {
    if (!live[i]) continue;
    for (int in : g.nodes[i].inputs) {
      if (in >= 0 && size_t(in) < i) live[size_t(in)] = true;
    }
  }
  GraphCase out;
  std::vector<int> new_id(n, kNoInput);
  size_t fed = 0;
  for (size_t i = 0; i < n; ++i) {
    const bool is_input = g.nodes[i].kind == NodeKind::input;
    const size_t k = is_input ? fed++ : 0;
    if (!live[i]) continue;
    new_id[i] = int(out.graph.nodes.size());
    Node node = g.nodes[i];
    for (int& in : node.inputs) {
      if (in >= 0 && size_t(in) < i) in = new_id[size_t(in)];
    }
    out.graph.nodes.push_back(std::move(node));
    if (is_input && k < c.inputs.size()) out.inputs.push_back(c.inputs[k]);
  }
  // Tensors fed beyond the input nodes stay (an invalid case stays invalid).
  for (size_t k = fed; k < c.inputs.size(); ++k) out.inputs.push_back(c.inputs[k]);
  for (int o : g.outputs) out.graph.outputs.push_back(o >= 0 && size_t(o) < n ? new_id[size_t(o)] : o);
  // Fusion sites follow their nodes; a site with a pruned node goes.
  for (FusionSite s : c.expected_fusions) {
    bool live_site = true;
    for (int& id : s.nodes) {
      live_site = live_site && id >= 0 && size_t(id) < n && new_id[size_t(id)] != kNoInput;
      if (live_site) id = new_id[size_t(id)];
    }
    if (live_site) out.expected_fusions.push_back(std::move(s));
  }
  return out;
}

GraphCaseSize graph_case_size(const GraphCase& c) {
  GraphCase pruned = prune_graph_case(c);
  GraphCaseSize size;
  for (const Node& n : pruned.graph.nodes) size.operator_nodes += is_operator(n);
  for_each_tensor(pruned, [&](Tensor& t) { size.largest_tensor = std::max(size.largest_tensor, t.numel()); });
  std::vector<Tensor> values;
  if (judge_with_reference(pruned, &values).accepts) {
    for (const Tensor& t : values) size.largest_tensor = std::max(size.largest_tensor, t.numel());
  }
  return size;
}

GraphCase reduce_graph_case(GraphCase c, const std::function<bool(const GraphCase&)>& still_fails,
                            ReduceStats& stats, int max_attempts) {
  GraphReducer r(c, still_fails, stats, max_attempts);
  r.attempt(c, c);  // 1. prune (adopted only if it changes the case)
  for (int round = 0; round < 8 && !r.exhausted(); ++round) {
    bool progress = false;
    // Structure first (big, cheap steps), each repeated while it helps.
    while (!r.exhausted() && reroute_outputs(c, r)) progress = true;
    while (!r.exhausted() && skip_blocks(c, r)) progress = true;
    while (!r.exhausted() && bypass_nodes(c, r)) progress = true;
    progress |= simplify_nodes(c, r);
    progress |= shrink_sizes(c, r);
    progress |= shrink_input_batch_dims(c, r);
    progress |= drop_unit_dims(c, r);
    if (progress) continue;
    // Values last, once the structure is stable.
    progress |= zero_values(c, r);
    progress |= simple_values(c, r);
    if (!progress) break;
  }
  return c;
}

}  // namespace qdiff::props
