// choose_qparams' min / max row kernels, written once over a vector-ops
// type V (impl/quantize/kernel_rows.h).
#pragma once

#include <cstdint>

#include "impl/quantize/kernels.h"
#include "impl/quantize/row_driver.h"

namespace qdiff::impl::kernels {

// Folds x[0, n) into (mn, mx); returns true if an element is not finite.
// Only the values matter: which of -0.0 / +0.0 a block minimum keeps is
// settled by choose_qparams.cc where it can change an output.
template <class V>
bool min_max_span(const float* x, int64_t n, float& mn, float& mx) {
  constexpr int W = V::W;
  int64_t j = 0;
  bool bad = false;
  if (n >= W) {
    auto vmn = V::load(x), vmx = vmn;
    auto finite = V::sub(vmn, vmn);  // NaN iff some element was NaN or +-inf
    for (j = W; j + W <= n; j += W) {
      const auto v = V::load(x + j);
      vmn = V::min(v, vmn);
      vmx = V::max(v, vmx);
      finite = V::add(finite, V::sub(v, v));
    }
    bad = V::any_nan(finite);
    const float a = V::hmin(vmn), b = V::hmax(vmx);
    if (a < mn) mn = a;
    if (b > mx) mx = b;
  }
  for (; j < n; ++j) {
    const float v = x[j];
    bad |= !(v - v == 0.0f);
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  return bad;
}

template <class V>
bool min_max_each(const float* x, int64_t n, float* mn, float* mx) {
  constexpr int W = V::W;
  int64_t j = 0;
  bool bad = false;
  if (n >= W) {
    auto finite = V::set1(0.0f);
    for (; j + W <= n; j += W) {
      const auto v = V::load(x + j);
      finite = V::add(finite, V::sub(v, v));
      V::storef(mn + j, V::min(v, V::load(mn + j)));
      V::storef(mx + j, V::max(v, V::load(mx + j)));
    }
    bad = V::any_nan(finite);
  }
  for (; j < n; ++j) {
    const float v = x[j];
    bad |= !(v - v == 0.0f);
    if (v < mn[j]) mn[j] = v;
    if (v > mx[j]) mx[j] = v;
  }
  return bad;
}

// One row of a task (t.rows is ignored).
template <class V>
__attribute__((always_inline)) inline bool min_max_one_row(const float* x, const RowTask& t,
                                                           float* mn, float* mx) {
  return drive_row(
      t, V::kTailDropWidth, false,
      [&](int64_t b, int64_t e, int64_t k) { return min_max_span<V>(x + b, e - b, mn[k], mx[k]); },
      [&](int64_t b, int64_t count, int64_t k) {
        bool bad = false;
        for (int64_t i = 0; i < count; ++i, b += t.group, k += t.group_stride) {
          bad |= min_max_span<V>(x + b, t.group, mn[k], mx[k]);
        }
        return bad;
      },
      [&](int64_t b, int64_t e, int64_t base) {
        return min_max_each<V>(x + b, e - b, mn + base + b, mx + base + b);
      });
}

template <class V>
bool min_max_row(const RowTask& t, float* mn, float* mx) {
  const float* x = static_cast<const float*>(t.in);
  bool bad = false;
  for (int64_t r = 0; r < t.rows; ++r) bad |= min_max_one_row<V>(x + r * t.row_stride, t, mn, mx);
  return bad;
}

}  // namespace qdiff::impl::kernels
