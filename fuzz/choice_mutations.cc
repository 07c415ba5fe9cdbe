#include "fuzz/choice_mutations.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/float_bits.h"

namespace qdiff::fuzz {

std::string_view mutation_name(Mutation m) {
  switch (m) {
    case Mutation::dim_to_one: return "dim_to_one";
    case Mutation::dim_copy: return "dim_copy";
    case Mutation::dim_vector_edge: return "dim_vector_edge";
    case Mutation::dims_swap: return "dims_swap";
    case Mutation::rank_step: return "rank_step";
    case Mutation::value_tie: return "value_tie";
    case Mutation::value_tie_neighbour: return "value_tie_neighbour";
    case Mutation::scale_pow2: return "scale_pow2";
    case Mutation::scale_min_normal: return "scale_min_normal";
    case Mutation::scales_swap: return "scales_swap";
    case Mutation::contract_extreme: return "contract_extreme";
    case Mutation::dtype_range_extreme: return "dtype_range_extreme";
    case Mutation::zero_point_extreme: return "zero_point_extreme";
    case Mutation::qvalue_extreme: return "qvalue_extreme";
    case Mutation::node_count_step: return "node_count_step";
    case Mutation::node_kind_change: return "node_kind_change";
    case Mutation::mul_constant_shape: return "mul_constant_shape";
    case Mutation::category_change: return "category_change";
    case Mutation::random_span: return "random_span";
    case Mutation::regenerate_tail: return "regenerate_tail";
    case Mutation::kCount: break;
  }
  return "?";
}

// ---- case facts -------------------------------------------------------------

namespace {

void add_params(CaseFacts& f, const QuantParams& p) {
  if (p.scale.dtype() == DType::f32) {
    for (float s : p.scale.data<float>()) {
      if (is_valid_scale_value(s)) f.scales.push_back(s);
    }
  }
  f.ranges.emplace_back(p.quant_min, p.quant_max);
}

}  // namespace

CaseFacts case_facts(const Case& c) {
  CaseFacts f;
  std::visit(
      [&](const auto& k) {
        using K = std::decay_t<decltype(k)>;
        if constexpr (std::is_same_v<K, AffineCase>) {
          if (k.op == AffineOpKind::choose_qparams) {
            f.ranges.emplace_back(k.choose.quant_min, k.choose.quant_max);
          } else {
            add_params(f, k.params);
          }
        } else if constexpr (std::is_same_v<K, QElementwiseCase>) {
          add_params(f, k.args.a_params);
          add_params(f, k.args.b_params);
          add_params(f, k.args.out_params);
        } else if constexpr (std::is_same_v<K, GraphCase>) {
          for (const Node& n : k.graph.nodes) {
            if (n.kind == NodeKind::constant && n.name.starts_with("scale") && n.value.dtype() == DType::f32) {
              for (float s : n.value.data<float>()) {
                if (is_valid_scale_value(s)) f.scales.push_back(s);
              }
            }
            if (n.kind == NodeKind::quantize || n.kind == NodeKind::dequantize) {
              f.ranges.emplace_back(n.spec.quant_min, n.spec.quant_max);
            }
          }
        } else {  // qlinear, qconv2d
          add_params(f, k.args.x_params);
          add_params(f, k.args.w_params);
          add_params(f, k.args.out_params);
        }
      },
      c);
  return f;
}

// ---- choice helpers ----------------------------------------------------------

namespace {

constexpr int64_t kLowest = std::numeric_limits<int64_t>::min();   // clamps to lo
constexpr int64_t kHighest = std::numeric_limits<int64_t>::max();  // clamps to hi

bool mutable_choice(const Choice& c) { return c.hi > c.lo; }

// Index of the first choice that can change, if any.
std::optional<size_t> first_mutable(const Span& s) {
  for (size_t i = 0; i < s.choices.size(); ++i) {
    if (mutable_choice(s.choices[i])) return i;
  }
  return std::nullopt;
}

// Categories with a non-zero weight; a plain integer draw has one per value
// (capped: only the first few matter for a category choice).
std::vector<size_t> live_categories(const Choice& c) {
  std::vector<size_t> live;
  if (!c.categories.empty()) {
    for (size_t i = 0; i < c.categories.size(); ++i) {
      if (c.categories[i] > 0) live.push_back(i);
    }
  } else {
    const uint64_t n = std::min<uint64_t>(uint64_t(c.hi) - uint64_t(c.lo) + 1, 16);
    for (size_t i = 0; i < n; ++i) live.push_back(i);
  }
  return live;
}

size_t category_of(const Choice& c) {
  if (c.categories.empty()) return size_t(uint64_t(c.value) - uint64_t(c.lo));
  int64_t r = c.value - c.lo;
  for (size_t i = 0; i < c.categories.size(); ++i) {
    if (r < c.categories[i]) return i;
    r -= c.categories[i];
  }
  return c.categories.size() - 1;
}

void set_category(Choice& c, size_t k) {
  if (c.categories.empty()) {
    c.value = int64_t(uint64_t(c.lo) + k);
    if (c.value > c.hi || c.value < c.lo) c.value = c.hi;
    return;
  }
  int64_t start = 0;
  for (size_t i = 0; i < k && i < c.categories.size(); ++i) start += c.categories[i];
  c.value = c.lo + start;
}

size_t last_category(const Choice& c) {
  const auto live = live_categories(c);
  return live.empty() ? 0 : live.back();
}

Choice integer_choice(int64_t value) {
  Choice c;
  c.kind = ChoiceKind::integer;
  c.lo = kLowest;
  c.hi = kHighest;
  c.value = value;
  return c;
}

Choice bits_choice(uint32_t bits) {
  Choice c;
  c.kind = ChoiceKind::bits32;
  c.lo = 0;
  c.hi = int64_t{UINT32_MAX};
  c.value = int64_t{bits};
  return c;
}

// The span's first changeable choice moved to its highest category (dims:
// "any size"; scales: mantissa and exponent; values: raw bits), nothing
// after it.
bool keep_head_at_last_category(Span& s) {
  const auto head = first_mutable(s);
  if (!head || s.choices[*head].categories.empty()) return false;
  s.choices.resize(*head + 1);  // fixed draws before the head stay: they keep the order
  set_category(s.choices[*head], last_category(s.choices[*head]));
  return true;
}

std::vector<size_t> spans_with(const ChoiceSequence& seq, std::initializer_list<ChoiceLabel> labels,
                               bool need_categories = false) {
  std::vector<size_t> out;
  for (size_t i = 0; i < seq.spans.size(); ++i) {
    const Span& s = seq.spans[i];
    if (std::find(labels.begin(), labels.end(), s.label) == labels.end()) continue;
    const auto head = first_mutable(s);
    if (!head) continue;
    if (need_categories && s.choices[*head].categories.empty()) continue;
    out.push_back(i);
  }
  return out;
}

std::vector<int64_t> values_of(const Span& s) {
  std::vector<int64_t> v;
  for (const auto& c : s.choices) v.push_back(c.value);
  return v;
}

// Spans with the same label as `at` whose drawn values differ from its.
std::vector<size_t> partners(const ChoiceSequence& seq, size_t at) {
  std::vector<size_t> out;
  const auto mine = values_of(seq.spans[at]);
  for (size_t j = 0; j < seq.spans.size(); ++j) {
    if (j != at && seq.spans[j].label == seq.spans[at].label && !seq.spans[j].choices.empty() &&
        values_of(seq.spans[j]) != mine) {
      out.push_back(j);
    }
  }
  return out;
}

// The spans of `candidates` whose label another candidate shares (a copy
// or swap partner; apply_mutation picks one whose values differ).
std::vector<size_t> with_a_twin(const ChoiceSequence& seq, const std::vector<size_t>& candidates) {
  std::map<ChoiceLabel, int> count;
  for (size_t i : candidates) ++count[seq.spans[i].label];
  std::vector<size_t> out;
  for (size_t i : candidates) {
    if (count[seq.spans[i].label] > 1) out.push_back(i);
  }
  return out;
}

// Lowest or highest value for every integer draw after the head; a head
// category moved half the time. Works whatever path the new values take:
// kLowest / kHighest clamp to the extremes of whichever draw they meet.
bool to_extremes(Span& s, props::PrngSource& rng) {
  const auto head = first_mutable(s);
  if (!head) return false;
  const bool high = rng.boolean();
  bool tail = false;
  for (size_t i = *head + 1; i < s.choices.size(); ++i) {
    Choice& c = s.choices[i];
    if (c.kind == ChoiceKind::integer && mutable_choice(c)) {
      c.value = high ? c.hi : c.lo;
      tail = true;
    }
  }
  Choice& h = s.choices[*head];
  if (!tail) {
    // A lone choice: to the extreme (first or last category) it is not at.
    const auto live = live_categories(h);
    const size_t now = category_of(h);
    const bool at_first = h.categories.empty() ? h.value == h.lo : now == live.front();
    const bool at_last = h.categories.empty() ? h.value == h.hi : now == live.back();
    const bool to_last = at_first ? true : at_last ? false : high;
    if (h.categories.empty()) {
      h.value = to_last ? h.hi : h.lo;
    } else {
      set_category(h, to_last ? live.back() : live.front());
    }
  } else if (rng.boolean()) {
    const auto live = live_categories(h);
    if (!h.categories.empty() && live.size() > 1) set_category(h, live[rng.index(live.size())]);
  }
  // Draws the new path may need beyond the old ones take the same extreme.
  s.choices.push_back(integer_choice(high ? kHighest : kLowest));
  s.choices.push_back(integer_choice(high ? kHighest : kLowest));
  return true;
}

bool change_category(Span& s, props::PrngSource& rng) {
  const auto head = first_mutable(s);
  if (!head) return false;
  Choice& h = s.choices[*head];
  const size_t now = category_of(h);
  std::vector<size_t> others;
  for (size_t k : live_categories(h)) {
    if (k != now) others.push_back(k);
  }
  if (others.empty()) return false;
  set_category(h, others[rng.index(others.size())]);
  return true;
}

// A grid index for a tie: small, at a range edge, or anywhere moderate.
int64_t tie_index(const CaseFacts& f, props::PrngSource& rng) {
  switch (rng.weighted({40, 30, 30})) {
    case 0: return rng.integer(-4, 4);
    case 1:
      if (!f.ranges.empty()) {
        const auto [qmin, qmax] = f.ranges[rng.index(f.ranges.size())];
        const int64_t edge = rng.boolean() ? qmin : qmax;
        return std::clamp<int64_t>(edge - rng.integer(0, 1), -(int64_t{1} << 24), int64_t{1} << 24);
      }
      return rng.integer(-130, 130);
    default: return rng.integer(-300, 300);
  }
}

std::optional<float> tie_value(const CaseFacts& f, bool neighbour, props::PrngSource& rng) {
  if (f.scales.empty()) return std::nullopt;
  const float s = f.scales[rng.index(f.scales.size())];
  // Exact in double: k + 0.5 has at most 26 significant bits and s 24.
  float x = float((double(tie_index(f, rng)) + 0.5) * double(s));
  if (!std::isfinite(x)) x = float(0.5 * double(s));
  if (neighbour) {
    const int64_t steps = rng.integer(1, 2);
    const bool up = rng.boolean();
    for (int64_t i = 0; i < steps; ++i) x = up ? next_up(x) : next_down(x);
  }
  return x;
}

// An index in [0, n) whose logarithm is uniform: a tail cut early (a whole
// new case) is as likely as one cut late (a fresh ending), where a uniform
// cut would almost always keep most of a large case.
size_t log_uniform_index(size_t n, props::PrngSource& rng) {
  const double u = double(rng.integer(0, 1 << 20)) / double(1 << 20);
  const size_t i = size_t(std::exp(u * std::log(double(n)))) - 1;  // exp(...) in [1, n]
  return std::min(i, n - 1);
}

}  // namespace

// ---- targets and application -------------------------------------------------

std::vector<size_t> mutation_targets(Mutation m, const ChoiceSequence& seq, const CaseFacts& facts) {
  using L = ChoiceLabel;
  switch (m) {
    case Mutation::dim_to_one: {
      std::vector<size_t> out;
      for (size_t i : spans_with(seq, {L::dim, L::dim_value})) {
        const Span& s = seq.spans[i];
        const bool all_lo = std::all_of(s.choices.begin(), s.choices.end(),
                                        [](const Choice& c) { return c.value == c.lo; });
        if (!all_lo) out.push_back(i);
      }
      return out;
    }
    case Mutation::dim_copy:
    case Mutation::dims_swap: return with_a_twin(seq, spans_with(seq, {L::dim, L::dim_value}));
    case Mutation::dim_vector_edge: return spans_with(seq, {L::dim, L::dim_value});
    case Mutation::rank_step: return spans_with(seq, {L::rank});
    case Mutation::value_tie:
    case Mutation::value_tie_neighbour:
      if (facts.scales.empty()) return {};
      return spans_with(seq, {L::value_f32}, /*need_categories=*/true);
    case Mutation::scale_pow2:
    case Mutation::scale_min_normal: return spans_with(seq, {L::scale}, /*need_categories=*/true);
    case Mutation::scales_swap: return with_a_twin(seq, spans_with(seq, {L::scale}));
    case Mutation::contract_extreme: return spans_with(seq, {L::contract});
    case Mutation::dtype_range_extreme: return spans_with(seq, {L::dtype_range});
    case Mutation::zero_point_extreme: return spans_with(seq, {L::zero_point});
    case Mutation::qvalue_extreme: return spans_with(seq, {L::qvalue});
    case Mutation::node_count_step: return spans_with(seq, {L::node_count});
    case Mutation::node_kind_change: return spans_with(seq, {L::node_kind});
    case Mutation::mul_constant_shape: return spans_with(seq, {L::mul_constant_shape});
    case Mutation::category_change: return spans_with(seq, {L::layout, L::validity}, /*need_categories=*/true);
    case Mutation::random_span:
    case Mutation::regenerate_tail: {
      // Any span with a draw that can change (span 1, the property choice,
      // stays: the other property is another test).
      std::vector<size_t> out;
      for (size_t i = 2; i < seq.spans.size(); ++i) {
        if (first_mutable(seq.spans[i])) out.push_back(i);
      }
      return out;
    }
    case Mutation::kCount: break;
  }
  return {};
}

namespace {

// Each helper below is one mutation on span `s`: false (or nullopt) when it
// does not apply there. The draws from `rng` are in the order the mutation
// has always made them, so a seed keeps its mutations.

// The span's first choice that can change, or null.
Choice* head_choice(Span& s) {
  const auto head = first_mutable(s);
  return head ? &s.choices[*head] : nullptr;
}

bool dim_to_one(Span& s, props::PrngSource& rng) {
  if (s.label == ChoiceLabel::dim) {
    // Lowest category: size 1 (or a broadcast 1); later draws of the span
    // are not needed.
    const auto head = first_mutable(s);
    if (!head) return false;
    s.choices.resize(*head + 1);
    s.choices[*head].value = s.choices[*head].lo;
    return true;
  }
  std::vector<size_t> cand;
  for (size_t i = 0; i < s.choices.size(); ++i) {
    if (s.choices[i].value != s.choices[i].lo) cand.push_back(i);
  }
  if (cand.empty()) return false;
  Choice& c = s.choices[cand[rng.index(cand.size())]];
  c.value = c.lo;
  return true;
}

// dim_copy copies a twin span's draws onto span `at`; the swaps exchange
// them. Returns the twin.
std::optional<size_t> copy_or_swap_with_twin(Mutation m, ChoiceSequence& seq, size_t at,
                                             props::PrngSource& rng) {
  const auto p = partners(seq, at);
  if (p.empty()) return std::nullopt;
  const size_t j = p[rng.index(p.size())];
  if (m == Mutation::dim_copy) {
    seq.spans[at].choices = seq.spans[j].choices;
  } else {
    std::swap(seq.spans[at].choices, seq.spans[j].choices);
  }
  return j;
}

// A width other than the size drawn now (the second draw of a dim in its
// "any size" category, or the direct value). Returns the width.
std::optional<int64_t> dim_vector_edge(Span& s, props::PrngSource& rng) {
  const auto pick_other = [&](std::optional<int64_t> now) {
    std::vector<int64_t> options;
    for (int64_t w : kVectorEdgeSizes) {
      if (!now || w != *now) options.push_back(w);
    }
    return options[rng.index(options.size())];
  };
  if (s.label == ChoiceLabel::dim) {
    std::optional<int64_t> now;
    const auto head = first_mutable(s);
    if (head && !s.choices[*head].categories.empty() &&
        category_of(s.choices[*head]) == last_category(s.choices[*head]) && *head + 1 < s.choices.size()) {
      now = s.choices[*head + 1].value;
    }
    if (!keep_head_at_last_category(s)) return std::nullopt;
    const int64_t w = pick_other(now);
    s.choices.push_back(integer_choice(w));
    return w;
  }
  std::vector<size_t> cand;
  for (size_t i = 0; i < s.choices.size(); ++i) {
    if (mutable_choice(s.choices[i])) cand.push_back(i);
  }
  if (cand.empty()) return std::nullopt;
  Choice& c = s.choices[cand[rng.index(cand.size())]];
  const int64_t w = pick_other(c.value);
  c.value = w;  // clamped by the replay
  return w;
}

bool rank_step(Span& s, props::PrngSource& rng) {
  Choice* const head = head_choice(s);
  if (!head) return false;
  Choice& c = *head;
  const auto live = live_categories(c);
  const size_t now = category_of(c);
  const auto pos = std::find(live.begin(), live.end(), now);
  if (pos == live.end() || live.size() < 2) return false;
  const size_t i = size_t(pos - live.begin());
  const bool up = i == 0 ? true : i + 1 == live.size() ? false : rng.boolean();
  set_category(c, live[up ? i + 1 : i - 1]);
  return true;
}

// A power of two (scale_pow2) or the smallest normal (scale_min_normal).
// Keeps the exponent when the span already draws one (the highest
// category); otherwise a moderate one, clamped to the draw's range. Returns
// whether it applied and, for a power of two, the scale.
bool scale_pow2(Mutation m, Span& s, props::PrngSource& rng, std::optional<float>& value) {
  std::optional<int64_t> exponent;
  const auto head = first_mutable(s);
  if (head && !s.choices[*head].categories.empty() &&
      category_of(s.choices[*head]) == last_category(s.choices[*head])) {
    for (size_t i = *head + 1; i < s.choices.size(); ++i) {
      if (s.choices[i].kind == ChoiceKind::integer) {
        exponent = s.choices[i].value;
        break;
      }
    }
  }
  if (!keep_head_at_last_category(s)) return false;
  const int64_t e = m == Mutation::scale_min_normal ? kLowest : exponent.value_or(rng.integer(-12, 4));
  s.choices.push_back(integer_choice(e));
  s.choices.push_back(bits_choice(0));  // mantissa 1.0
  if (m == Mutation::scale_pow2 && e != kLowest) value = std::ldexp(1.0f, int(std::clamp<int64_t>(e, -149, 127)));
  return true;
}

bool contract_extreme(Span& s, props::PrngSource& rng) {
  Choice* const head = head_choice(s);
  if (!head) return false;
  Choice& c = *head;
  if (c.value == c.lo) {
    c.value = c.hi;
  } else if (c.value == c.hi) {
    c.value = c.lo;
  } else {
    c.value = rng.boolean() ? c.lo : c.hi;
  }
  return true;
}

bool node_count_step(Span& s, props::PrngSource& rng) {
  Choice* const head = head_choice(s);
  if (!head) return false;
  Choice& c = *head;
  if (!c.categories.empty()) return change_category(s, rng);
  const bool up = c.value == c.lo ? true : c.value == c.hi ? false : rng.boolean();
  c.value += up ? 1 : -1;
  return true;
}

bool random_span(Span& s, props::PrngSource& rng) {
  const std::vector<Choice> before = s.choices;
  for (Choice& c : s.choices) {
    if (c.kind == ChoiceKind::bits32) {
      c.value = int64_t{rng.bits32()};
    } else if (mutable_choice(c)) {
      c.value = rng.integer(c.lo, c.hi);
    }
  }
  return s.choices != before;
}

}  // namespace

std::optional<MutationSite> apply_mutation(Mutation m, ChoiceSequence& seq, size_t at, const CaseFacts& facts,
                                           props::PrngSource& rng) {
  if (at >= seq.spans.size()) return std::nullopt;
  Span& s = seq.spans[at];
  MutationSite site;
  site.span = at;
  const auto applied = [&](bool ok) { return ok ? std::optional(site) : std::nullopt; };
  switch (m) {
    case Mutation::dim_to_one: return applied(dim_to_one(s, rng));
    case Mutation::dim_copy:
    case Mutation::dims_swap:
    case Mutation::scales_swap: {
      const auto twin = copy_or_swap_with_twin(m, seq, at, rng);
      site.other_span = twin;
      return applied(twin.has_value());
    }
    case Mutation::dim_vector_edge: {
      const auto w = dim_vector_edge(s, rng);
      if (w) site.value = float(*w);
      return applied(w.has_value());
    }
    case Mutation::rank_step: return applied(rank_step(s, rng));
    case Mutation::value_tie:
    case Mutation::value_tie_neighbour: {
      const auto x = tie_value(facts, m == Mutation::value_tie_neighbour, rng);
      if (!x || !keep_head_at_last_category(s)) return std::nullopt;
      s.choices.push_back(bits_choice(f32_bits(*x)));
      site.value = x;
      return site;
    }
    case Mutation::scale_pow2:
    case Mutation::scale_min_normal: return applied(scale_pow2(m, s, rng, site.value));
    case Mutation::contract_extreme: return applied(contract_extreme(s, rng));
    case Mutation::dtype_range_extreme:
    case Mutation::zero_point_extreme:
    case Mutation::qvalue_extreme: return applied(to_extremes(s, rng));
    case Mutation::node_count_step: return applied(node_count_step(s, rng));
    case Mutation::node_kind_change:
    case Mutation::mul_constant_shape:
    case Mutation::category_change: return applied(change_category(s, rng));
    case Mutation::random_span: return applied(random_span(s, rng));
    case Mutation::regenerate_tail:
      seq.spans.resize(at);  // the replay draws the rest from the fill PRNG
      site.fill_seed = rng.next();
      return site;
    case Mutation::kCount: break;
  }
  return std::nullopt;
}

std::optional<std::pair<Mutation, MutationSite>> apply_random_mutation(ChoiceSequence& seq, const CaseFacts& facts,
                                                                       props::PrngSource& rng) {
  std::vector<Mutation> order;
  for (int k = 0; k < int(Mutation::kCount); ++k) {
    if (Mutation(k) != Mutation::regenerate_tail) order.push_back(Mutation(k));
  }
  // Fisher-Yates with the seeded PRNG: deterministic for a seed.
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.index(i)]);
  // Fresh tails a quarter of the time: local edits alone explore too little
  // of the space the generators cover (measured: docs/fuzzing.md).
  order.insert(rng.chance(kRegenerateTailPercent) ? order.begin() : order.end(), Mutation::regenerate_tail);
  for (Mutation m : order) {
    const auto targets = mutation_targets(m, seq, facts);
    if (targets.empty()) continue;
    const size_t at = targets[m == Mutation::regenerate_tail ? log_uniform_index(targets.size(), rng)
                                                             : rng.index(targets.size())];
    if (auto site = apply_mutation(m, seq, at, facts, rng)) return std::pair{m, *site};
  }
  return std::nullopt;
}

}  // namespace qdiff::fuzz
