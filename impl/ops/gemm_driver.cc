// The quantized GEMM driver (gemm_driver.h): path choice, blocking,
// threads, epilogues. Arithmetic per output exactly as impl/ops/fused_ops.h
// states it, whichever path, ISA or thread count.
#include "impl/ops/gemm_driver.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "core/error.h"
#include "impl/ops/parallel_for.h"

namespace qdiff::impl {
namespace {

// max |q - z| over the storage range of `dtype` and the params' int zero
// points (0 included, which also covers a fault that drops the zero point).
int64_t max_centered(DType dtype, const QuantParams& p) {
  int64_t zmin = 0, zmax = 0;
  if (p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain) {
    for (int64_t i = 0; i < p.zero_point->numel(); ++i) {
      const int64_t z = p.zero_point->int_at(i);
      zmin = std::min(zmin, z);
      zmax = std::max(zmax, z);
    }
  }
  return std::max(dtype_max(dtype) - zmin, zmax - dtype_min(dtype));
}

int64_t int_zero_point(const QuantParams& p, int64_t index) {
  return p.zero_point && p.zero_point_domain == ZeroPointDomain::int_domain
             ? p.zero_point->int_at(index) : 0;
}

template <typename T>
void store_typed(void* data, int64_t index, int64_t value) {
  static_cast<T*>(data)[index] = T(value);  // value is within [qmin, qmax] of T
}

void store_output(const GemmOutput& out, int64_t index, int64_t value) {
  switch (out.dtype) {
    case DType::i8: return store_typed<int8_t>(out.data, index, value);
    case DType::u8: return store_typed<uint8_t>(out.data, index, value);
    case DType::i16: return store_typed<int16_t>(out.data, index, value);
    case DType::u16: return store_typed<uint16_t>(out.data, index, value);
    case DType::i32: return store_typed<int32_t>(out.data, index, value);
    case DType::f32: break;
  }
}

// Contract steps 3-4 for output (r, k) from its y.
void write_output(const GemmCall& call, int64_t r, int64_t k, float y) {
  const OutputParams& op = *call.out_params;
  const bool has_bias = call.bias != nullptr;
  const int64_t q = output_value(y, has_bias, has_bias ? call.bias[k] : 0.0f, op.s[size_t(k)],
                                 op.z[size_t(k)], call.stage);
  store_output(call.out, call.out.base(r) + k * call.out.channel_stride, q);
}

// Which scale the epilogue uses for (global channel k, group g), after the
// fault points that live there.
struct ScaleChoice {
  bool next_group = false;      // per_group_scale_wrong_group
  bool first_channel = false;   // requant_scale_outer_product
  int64_t channel(int64_t k) const { return first_channel ? 0 : k; }
  int64_t group(int64_t g, int64_t groups) const { return next_group ? (g + 1) % groups : g; }
};

ScaleChoice scale_choice(const GemmCall& call) {
  ScaleChoice c;
  // FAULT POINT per_group_scale_wrong_group: replaces the scale of group g
  // by that of group g + 1 (mod G) in the epilogue.
  c.next_group = call.faults.has(FaultPoint::per_group_scale_wrong_group);
  // FAULT POINT requant_scale_outer_product: replaces the per-channel factor
  // s_w[k] (scale [K, 1]) times 1 / s_out[k] (a [K] vector) by entry k of their
  // [K, K] numpy outer product, s_w[0] / s_out[k]: every channel takes s_w[0].
  // It exists only where the shapes make the product 2-D: per-channel weights
  // (one group, one channel per scale row) and per-channel output params.
  c.first_channel = call.faults.has(FaultPoint::requant_scale_outer_product) &&
                    call.groups->count == 1 && call.w.channel_block == 1 &&
                    call.total_channels >= 2 && call.out_params->per_channel;
  return c;
}

// FAULT POINT per_row_scale_indexed_by_column: a per-row x scale (qlinear's
// [..., 1], i.e. one per row of the [M, K] output) kept as a [M] vector and
// broadcast numpy-style against [M, K] lines up with the LAST dim: output
// (r, k) takes row k's scale. Clamped to row min(k, M - 1) (numpy would
// reject M != K; an unchecked kernel reads past the vector). The zero
// point stays per row. Such calls take the wide path, which scales per
// (row, channel); its results otherwise equal the packed path's.
bool x_scale_by_column(const GemmCall& call) {
  return call.faults.has(FaultPoint::per_row_scale_indexed_by_column) && !call.x_per_tensor;
}

// Per-row x params of rows [r0, r0 + n).
void row_params(const GemmCall& call, int64_t r0, int64_t n, bool drop_zero_point, int32_t shift,
                float* sx, int32_t* zx) {
  const auto scale = call.x_params->scale.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t pi = call.x->param_index(r0 + i);
    sx[i] = scale[size_t(pi)];
    // FAULT POINT missing_zero_point_correction: replaces Zx = zx + ox by ox, which
    // drops zx * sum_j (qw - zw) (the input zero point's column-sum correction).
    zx[i] = int32_t((drop_zero_point ? 0 : int_zero_point(*call.x_params, pi)) + shift);
  }
}

// ---------------------------------------------------------------- packed path

// The depth blocks: segments of at most kDepthBlockQuads quads in all,
// groups cut where a block ends. block_end[b] = one past block b's last segment.
void plan_segments(const PackedWeights& pw, std::vector<Segment>& segs,
                   std::vector<size_t>& block_end) {
  int64_t used = 0;
  for (int64_t g = 0; g < pw.groups; ++g) {
    const int64_t qa = pw.quad_start[size_t(g)], qb = pw.quad_start[size_t(g) + 1];
    int64_t pos = qa;
    do {
      if (used == kDepthBlockQuads) {
        block_end.push_back(segs.size());
        used = 0;
      }
      const int64_t take = std::min(qb - pos, kDepthBlockQuads - used);
      segs.push_back({pos, pos + take, g, pos == qa, pos + take == qb});
      used += take;
      pos += take;
    } while (pos < qb);
  }
  block_end.push_back(segs.size());
}

template <typename X>
void pack_x_row_t(const X* src, const PackedWeights& pw, const DepthGroups& groups, int32_t shift,
                  uint8_t* dst, int32_t* rs) {
  for (int64_t g = 0; g < pw.groups; ++g) {
    const int64_t first = groups.start[size_t(g)], n = groups.length(g);
    uint8_t* d = dst + pw.quad_start[size_t(g)] * kQuad;
    uint32_t sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t v = uint8_t(int32_t(src[first + i]) + shift);  // in [0, 255]
      d[i] = v;
      sum += v;
    }
    const int64_t padded = (pw.quad_start[size_t(g) + 1] - pw.quad_start[size_t(g)]) * kQuad;
    for (int64_t i = n; i < padded; ++i) d[i] = 0;
    rs[g] = int32_t(sum);
  }
}

int64_t packed_x_stride(const PackedWeights& pw) { return std::max<int64_t>(pw.quads * kQuad, kQuad); }

// Rows per block: the packed x block stays within kXBlockBytes (at least one tile).
// All rows in one block when they fit (the weights are then streamed once);
// otherwise blocks of whole tiles.
int64_t packed_rows_per_block(int64_t rows, const PackedWeights& pw) {
  const int64_t fit = std::max<int64_t>(kMaxTileRows, kXBlockBytes / packed_x_stride(pw));
  if (rows <= fit) return rows;
  return fit / kMaxTileRows * kMaxTileRows;
}

// n elements of a per-thread buffer kept between calls (a fresh
// multi-megabyte allocation per call would be page-faulted in every time);
// beyond kKeptBytes the caller's `fresh` vector holds them instead, so a
// thread never keeps more than a few buffers of that size.
constexpr size_t kKeptBytes = size_t{8} << 20;
template <typename T, int kTag>
T* workspace(size_t n, std::vector<T>& fresh) {
  thread_local std::vector<T> kept;
  std::vector<T>& b = n * sizeof(T) <= kKeptBytes ? kept : fresh;
  if (b.size() < n) b.resize(n);
  return b.data();
}

// The scale table the tiles read: pw.sw, or, when a fault changes it
// (per_group_scale_wrong_group, requant_scale_outer_product), a copy with
// the scale the fault picks. Set up once per call, outside the tile loop.
const float* scale_table(const GemmCall& call, const PackedWeights& pw, std::vector<float>& faulty) {
  const ScaleChoice choice = scale_choice(call);
  if (!choice.next_group && !choice.first_channel) return pw.sw.data();
  const auto scale = call.w.params->scale.data<float>();
  const int64_t G = pw.groups;
  faulty = pw.sw;
  for (int64_t p = 0; p < pw.panels; ++p) {
    for (int64_t g = 0; g < G; ++g) {
      for (int c = 0; c < kPanelWidth && p * kPanelWidth + c < pw.channels; ++c) {
        const int64_t k = pw.channel_offset + p * kPanelWidth + c;
        faulty[size_t(pw.table_offset(p, g) + c)] =
            scale[size_t(call.w.scale_index(choice.channel(k), choice.group(g, G), G))];
      }
    }
  }
  return faulty.data();
}

// What every panel of one block of rows [r0, r0 + n) reads.
struct RowBlock {
  const GemmCall& call;
  const PackedWeights& pw;
  const GemmKernels& kernels;
  const std::vector<Segment>& segs;
  const std::vector<size_t>& block_end;
  const float* sw_table;
  int64_t x_stride;
  bool fast_output;
  bool wrap16;
  int64_t r0, n;
  const uint8_t* xpack;
  const int32_t* row_sums;
  const float* sx;
  const int32_t* zx;
};

// Packs rows [r0, r0 + n) of x (shifted to u8) and their group sums.
void pack_rows(const GemmCall& call, const PackedWeights& pw, int64_t r0, int64_t n, int threads,
               int32_t shift, int64_t x_stride, uint8_t* xpack, int32_t* row_sums) {
  const size_t esize = dtype_size(call.x_dtype);
  parallel_for(n, std::min<int64_t>(threads, n), [&](int64_t begin, int64_t end, int) {
    std::vector<uint8_t> gathered;
    for (int64_t i = begin; i < end; ++i) {
      const void* src = call.x->direct(r0 + i);
      if (!src) {
        gathered.resize(size_t(pw.depth) * esize);
        call.x->gather(r0 + i, gathered.data());
        src = gathered.data();
      }
      uint8_t* dst = xpack + i * x_stride;
      int32_t* rs = row_sums + i * pw.groups;
      if (call.x_dtype == DType::i8) {
        pack_x_row_t(static_cast<const int8_t*>(src), pw, *call.groups, shift, dst, rs);
      } else {
        pack_x_row_t(static_cast<const uint8_t*>(src), pw, *call.groups, shift, dst, rs);
      }
    }
  });
}

// Runs every tile of panel p over the block's rows into d / y (per-tensor
// x tables in t_table / s_table when non-null).
void run_panel_tiles(const RowBlock& b, int64_t p, int32_t* d, float* y, int32_t* t_table, float* s_table) {
  const PackedWeights& pw = b.pw;
  const int64_t G = pw.groups;
  const int64_t table = pw.table_offset(p, 0);
  if (t_table) {
    const uint32_t zx0 = uint32_t(b.zx[0]);
    for (int64_t i = 0; i < G * kPanelWidth; ++i) {
      t_table[size_t(i)] = int32_t(0u - zx0 * uint32_t(pw.a[size_t(table + i)]));
      s_table[size_t(i)] = b.sx[0] * b.sw_table[table + i];
    }
  }
  TileArgs t;
  t.x_stride = b.x_stride;
  t.w = pw.panel(p);
  t.nv = pw.panel_width(p) / kLaneGroup;
  t.a = pw.a.data() + table;
  t.zw = pw.zw.empty() ? nullptr : pw.zw.data() + table;
  t.sw = b.sw_table + table;
  t.neg_t = t_table;
  t.s = s_table;
  t.rs_stride = G;
  t.wrap16 = b.wrap16;
  size_t seg = 0;
  for (size_t blk = 0; blk < b.block_end.size(); ++blk) {
    t.segments = b.segs.data() + seg;
    t.segment_count = int64_t(b.block_end[blk] - seg);
    for (int64_t t0 = 0; t0 < b.n; t0 += kMaxTileRows) {
      t.rows = int(std::min<int64_t>(kMaxTileRows, b.n - t0));
      t.x = b.xpack + t0 * b.x_stride;
      t.d = d + t0 * kPanelWidth;
      t.y = y + t0 * kPanelWidth;
      t.zx = b.zx + t0;
      t.sx = b.sx + t0;
      t.rs = b.row_sums + t0 * G;
      b.kernels.run_tile(t);
    }
    seg = b.block_end[blk];
  }
}

// Requantizes and stores panel p's f32 results y (modified in place) for
// the block's rows.
void write_panel(const RowBlock& b, int64_t p, float* y) {
  const GemmCall& call = b.call;
  const int64_t k0 = b.pw.channel_offset + p * kPanelWidth;
  const int valid = int(std::min<int64_t>(kPanelWidth, b.pw.channels - p * kPanelWidth));
  if (!b.fast_output) {
    for (int64_t i = 0; i < b.n; ++i) {
      for (int c = 0; c < valid; ++c) write_output(call, b.r0 + i, k0 + c, y[size_t(i * kPanelWidth + c)]);
    }
    return;
  }
  const OutputParams& op = *call.out_params;
  OutputRunArgs o;
  o.y = y;
  o.rows = int(b.n);
  o.width = valid;
  o.bias = call.bias ? call.bias + k0 : nullptr;
  o.s = op.s.data() + k0;
  o.z = op.z.data() + k0;
  o.lo = op.lo.data() + k0;
  o.hi = op.hi.data() + k0;
  o.qmin = int32_t(call.stage.qmin);
  o.qmax = int32_t(call.stage.qmax);
  o.activation = call.stage.activation;
  o.out = static_cast<char*>(call.out.data) + (call.out.base(b.r0) + k0) * int64_t(dtype_size(call.out.dtype));
  o.row_stride = call.out.image_stride;
  o.dtype = call.out.dtype;
  b.kernels.output_runs(o);
}

// Every panel of one row block, split across threads.
void run_panels(const RowBlock& b, int threads) {
  parallel_for(b.pw.panels, threads, [&](int64_t p_begin, int64_t p_end, int) {
    std::vector<int32_t> fresh_d, fresh_t;
    std::vector<float> fresh_y, fresh_s;
    int32_t* const d = workspace<int32_t, 4>(size_t(b.n * kPanelWidth), fresh_d);
    float* const y = workspace<float, 5>(size_t(b.n * kPanelWidth), fresh_y);
    // Per-tensor x: -(Zx a) and f32(s_x s_w) per group and lane, once per
    // panel, when at least two row tiles share them (else the kernel
    // multiplies per group, which is cheaper than a table per panel).
    const bool tables = b.call.x_per_tensor && b.n > kMaxTileRows;
    const size_t table_size = tables ? size_t(b.pw.groups * kPanelWidth) : 0;
    int32_t* const t_table = workspace<int32_t, 6>(table_size, fresh_t);
    float* const s_table = workspace<float, 7>(table_size, fresh_s);
    for (int64_t p = p_begin; p < p_end; ++p) {
      run_panel_tiles(b, p, d, y, tables ? t_table : nullptr, tables ? s_table : nullptr);
      write_panel(b, p, y);
    }
  });
}

void run_packed(const GemmCall& call, const PackedWeights& pw, const GemmKernels& kernels,
                const ImplOptions& options) {
  const int64_t rows = call.rows, G = pw.groups;
  const int64_t x_stride = packed_x_stride(pw);
  const int64_t mc = packed_rows_per_block(rows, pw);
  std::vector<Segment> segs;
  std::vector<size_t> block_end;
  plan_segments(pw, segs, block_end);

  const int32_t shift = call.x_dtype == DType::i8 ? 128 : 0;
  const bool drop_zx = call.faults.has(FaultPoint::missing_zero_point_correction);
  std::vector<float> faulty_sw;
  const float* const sw_table = scale_table(call, pw, faulty_sw);
  const OutputParams& op = *call.out_params;
  const bool fast_output = op.narrow && call.stage.variant == OutputVariant::exact &&
                           call.out.channel_stride == 1 && call.out.rows_per_image == 1;
  // Work in units of 64 multiply-adds, against ImplOptions::parallel_threshold.
  const double work = double(rows) * double(pw.channels) * double(pw.depth) / 64.0;
  const int threads = fused_thread_count(options, work, std::max(pw.panels, rows));

  std::vector<uint8_t> fresh_x;
  std::vector<int32_t> fresh_sums, fresh_zx;
  std::vector<float> fresh_sx;
  uint8_t* const xpack = workspace<uint8_t, 0>(size_t(mc * x_stride), fresh_x);
  int32_t* const row_sums = workspace<int32_t, 1>(size_t(mc * std::max<int64_t>(G, 1)), fresh_sums);
  float* const sx = workspace<float, 2>(size_t(mc), fresh_sx);
  int32_t* const zx = workspace<int32_t, 3>(size_t(mc), fresh_zx);
  for (int64_t r0 = 0; r0 < rows; r0 += mc) {
    const int64_t n = std::min(mc, rows - r0);
    row_params(call, r0, n, drop_zx, shift, sx, zx);
    pack_rows(call, pw, r0, n, threads, shift, x_stride, xpack, row_sums);
    const RowBlock block{call, pw, kernels, segs, block_end, sw_table, x_stride, fast_output,
                         call.faults.has(FaultPoint::int16_accumulation_overflow), r0, n, xpack, row_sums,
                         sx, zx};
    run_panels(block, threads);
  }
}

// ---------------------------------------------------------------- wide path

template <typename T>
int64_t int_value(const void* data, int64_t i) {
  return int64_t(static_cast<const T*>(data)[i]);
}

int64_t int_element(DType dtype, const void* data, int64_t i) {
  switch (dtype) {
    case DType::i8: return int_value<int8_t>(data, i);
    case DType::u8: return int_value<uint8_t>(data, i);
    case DType::i16: return int_value<int16_t>(data, i);
    case DType::u16: return int_value<uint16_t>(data, i);
    case DType::i32: return int_value<int32_t>(data, i);
    case DType::f32: break;
  }
  return 0;
}

// Row r of x in depth order as int64 values, through `scratch` if gathered.
const void* x_row(const GemmCall& call, int64_t r, std::vector<uint8_t>& scratch) {
  const void* src = call.x->direct(r);
  if (src) return src;
  scratch.resize(size_t(call.groups->depth) * dtype_size(call.x_dtype));
  call.x->gather(r, scratch.data());
  return scratch.data();
}

// Depth positions per weight chunk of the int64 and float-domain paths:
// each channel's weights are converted chunk by chunk into a buffer of this
// size, never as a whole row (a [1, In] weight would be a full copy).
constexpr int64_t kWeightChunk = 4096;

// 16-bit operands or long groups: acc in int64 (|q - z| < 2^17, so each
// product < 2^34 and a sum of at most 2^26 of them < 2^60).
void run_wide(const GemmCall& call, const ImplOptions& options) {
  const DepthGroups& groups = *call.groups;
  const int64_t rows = call.rows, depth = groups.depth, G = groups.count, N = call.w.channels;
  const int64_t mc = std::min(rows, std::max<int64_t>(1, kXBlockBytes / (depth * 4)));
  const bool drop_zx = call.faults.has(FaultPoint::missing_zero_point_correction);
  const bool wrap16 = call.faults.has(FaultPoint::int16_accumulation_overflow);
  const bool column_sx = x_scale_by_column(call);
  const ScaleChoice choice = scale_choice(call);
  const QuantParams& wp = *call.w.params;
  const auto w_scale = wp.scale.data<float>();
  const auto x_scale = call.x_params->scale.data<float>();
  const int threads = fused_thread_count(options, double(rows) * double(N) * double(depth) / 64.0, N);
  std::vector<int32_t> xc(static_cast<size_t>(mc * depth));
  std::vector<float> sx(static_cast<size_t>(mc));
  std::vector<int32_t> zx(static_cast<size_t>(mc));
  for (int64_t r0 = 0; r0 < rows; r0 += mc) {
    const int64_t n = std::min(mc, rows - r0);
    row_params(call, r0, n, drop_zx, 0, sx.data(), zx.data());
    std::vector<uint8_t> scratch;
    for (int64_t i = 0; i < n; ++i) {
      const void* src = x_row(call, r0 + i, scratch);
      for (int64_t p = 0; p < depth; ++p) {
        xc[size_t(i * depth + p)] = int32_t(int_element(call.x_dtype, src, p) - zx[size_t(i)]);
      }
    }
    parallel_for(N, threads, [&](int64_t k_begin, int64_t k_end, int) {
      std::vector<int32_t> wc(static_cast<size_t>(std::min(depth, kWeightChunk)));
      std::vector<int64_t> acc(static_cast<size_t>(n));
      std::vector<float> y(static_cast<size_t>(n));
      for (int64_t k = k_begin; k < k_end; ++k) {
        const int64_t global = call.w.channel_offset + k;
        const void* row = static_cast<const char*>(call.w.data) +
                          k * call.w.row_stride * int64_t(dtype_size(call.w.dtype));
        for (int64_t g = 0; g < G; ++g) {
          const int64_t zw = int_zero_point(wp, call.w.scale_index(global, g, G));
          std::fill(acc.begin(), acc.end(), 0);
          for (int64_t p0 = groups.start[size_t(g)]; p0 < groups.start[size_t(g) + 1];
               p0 += kWeightChunk) {
            const int64_t p1 = std::min(groups.start[size_t(g) + 1], p0 + kWeightChunk);
            for (int64_t p = p0; p < p1; ++p) {
              wc[size_t(p - p0)] = int32_t(int_element(call.w.dtype, row, groups.column(p)) - zw);
            }
            for (int64_t i = 0; i < n; ++i) {
              const int32_t* xr = xc.data() + i * depth;
              int64_t sum = 0;
              for (int64_t p = p0; p < p1; ++p) sum += int64_t(xr[p]) * int64_t(wc[size_t(p - p0)]);
              acc[size_t(i)] += sum;
            }
          }
          const float s = w_scale[size_t(
              call.w.scale_index(choice.channel(global), choice.group(g, G), G))];
          // FAULT POINT per_row_scale_indexed_by_column (see x_scale_by_column):
          // replaces row i's s_x by that of row min(k, rows - 1).
          const float sx_of_column =
              column_sx ? x_scale[size_t(call.x->param_index(std::min(global, rows - 1)))] : 0.0f;
          for (int64_t i = 0; i < n; ++i) {
            int64_t a = acc[size_t(i)];
            if (wrap16) a = int16_t(uint16_t(uint64_t(a)));  // FAULT POINT, as in the packed path
            const float t = float(a) * ((column_sx ? sx_of_column : sx[size_t(i)]) * s);
            y[size_t(i)] = g == 0 ? t : y[size_t(i)] + t;
          }
        }
        for (int64_t i = 0; i < n; ++i) write_output(call, r0 + i, global, y[size_t(i)]);
      }
    });
  }
}

// ---------------------------------------------------------------- float-domain weights

// dq(x) = f32(f32(q) - f32(z)) * s; dq(w) = f32(f32(f32(q) - mid) * s) + z;
// y = sum_p f32(dq(x) dq(w)) in depth order (SPEC section 5 formulas).
void run_float(const GemmCall& call, const ImplOptions& options) {
  const DepthGroups& groups = *call.groups;
  const int64_t rows = call.rows, depth = groups.depth, G = groups.count, N = call.w.channels;
  const int64_t mc = std::min(rows, std::max<int64_t>(1, kXBlockBytes / (depth * 4)));
  const QuantParams& wp = *call.w.params;
  const auto w_scale = wp.scale.data<float>();
  const float mid = float(double(wp.quant_max + wp.quant_min + 1) / 2.0);
  const bool w_zero = wp.zero_point.has_value();
  const int threads = fused_thread_count(options, double(rows) * double(N) * double(depth) / 64.0, N);
  std::vector<float> xd(static_cast<size_t>(mc * depth));
  std::vector<float> sx(static_cast<size_t>(mc));
  std::vector<int32_t> zx(static_cast<size_t>(mc));
  for (int64_t r0 = 0; r0 < rows; r0 += mc) {
    const int64_t n = std::min(mc, rows - r0);
    row_params(call, r0, n, false, 0, sx.data(), zx.data());
    std::vector<uint8_t> scratch;
    for (int64_t i = 0; i < n; ++i) {
      const void* src = x_row(call, r0 + i, scratch);
      const float fz = float(zx[size_t(i)]);
      for (int64_t p = 0; p < depth; ++p) {
        const float q = float(int_element(call.x_dtype, src, p));
        xd[size_t(i * depth + p)] = (q - fz) * sx[size_t(i)];
      }
    }
    parallel_for(N, threads, [&](int64_t k_begin, int64_t k_end, int) {
      std::vector<float> wd(static_cast<size_t>(std::min(depth, kWeightChunk)));
      std::vector<float> y(static_cast<size_t>(n));
      for (int64_t k = k_begin; k < k_end; ++k) {
        const int64_t global = call.w.channel_offset + k;
        const void* row = static_cast<const char*>(call.w.data) +
                          k * call.w.row_stride * int64_t(dtype_size(call.w.dtype));
        std::fill(y.begin(), y.end(), 0.0f);
        for (int64_t g = 0; g < G; ++g) {
          const int64_t si = call.w.scale_index(global, g, G);
          const float s = w_scale[size_t(si)];
          const float z = w_zero ? wp.zero_point->f32_at(si) : 0.0f;
          for (int64_t p0 = groups.start[size_t(g)]; p0 < groups.start[size_t(g) + 1];
               p0 += kWeightChunk) {
            const int64_t p1 = std::min(groups.start[size_t(g) + 1], p0 + kWeightChunk);
            for (int64_t p = p0; p < p1; ++p) {
              const float q = float(int_element(call.w.dtype, row, groups.column(p)));
              const float scaled = (q - mid) * s;
              wd[size_t(p - p0)] = scaled + z;
            }
            for (int64_t i = 0; i < n; ++i) {
              const float* xr = xd.data() + i * depth;
              float acc = y[size_t(i)];
              for (int64_t p = p0; p < p1; ++p) {
                const float t = xr[p] * wd[size_t(p - p0)];
                acc = acc + t;
              }
              y[size_t(i)] = acc;
            }
          }
        }
        for (int64_t i = 0; i < n; ++i) write_output(call, r0 + i, global, y[size_t(i)]);
      }
    });
  }
}

}  // namespace

int64_t packed_path_workspace_bytes(int64_t rows, const PackedWeights& pw, int threads,
                                    int64_t total_channels) {
  const int64_t mc = packed_rows_per_block(rows, pw);
  return mc * packed_x_stride(pw) + mc * std::max<int64_t>(pw.groups, 1) * 4 + mc * 8 +
         int64_t(threads) * (mc + pw.groups) * kPanelWidth * 8 + total_channels * 16;
}

OutputParams OutputParams::of(const QuantParams& p, int64_t channels, bool per_channel) {
  OutputParams o;
  o.per_channel = per_channel && p.scale.numel() > 1;
  const auto scale = p.scale.data<float>();
  o.s.resize(size_t(channels));
  o.z.resize(size_t(channels));
  o.lo.resize(size_t(channels));
  o.hi.resize(size_t(channels));
  for (int64_t k = 0; k < channels; ++k) {
    const int64_t i = o.per_channel ? k : 0;
    const int64_t z = p.zero_point ? p.zero_point->int_at(i) : 0;  // int or none domain
    o.s[size_t(k)] = scale[size_t(i)];
    o.z[size_t(k)] = int32_t(z);  // validated within [qmin, qmax] of at most i32
    const int64_t lo = p.quant_min - z - 1, hi = p.quant_max - z + 1;
    o.lo[size_t(k)] = float(lo);
    o.hi[size_t(k)] = float(hi);
    if (lo < -kNarrowOutputLimit || hi > kNarrowOutputLimit) o.narrow = false;
  }
  // The narrow form computes round(v) + z in [qmin - 1, qmax + 1] in int32.
  if (p.quant_min <= INT32_MIN || p.quant_max >= INT32_MAX) o.narrow = false;
  return o;
}

OutputVariant output_variant(FaultSet faults, OutputZeroPoint placement) {
  // The fault moves the zero point to the other side of the rounding, so it
  // stays a defect under either contract.
  const bool before = (placement == OutputZeroPoint::before_rounding) !=
                      faults.has(FaultPoint::output_zero_point_before_rounding);
  if (faults.has(FaultPoint::bias_after_requantization)) {
    return OutputVariant::bias_after_requantization;
  }
  return before ? OutputVariant::output_zero_point_before_rounding : OutputVariant::exact;
}

bool takes_packed_path(DType x_dtype, const QuantParams& x_params, const QuantParams& w_params,
                       const DepthGroups& groups) {
  if (x_dtype != DType::i8 && x_dtype != DType::u8) return false;
  if (!packable_weights(w_params) || groups.depth == 0) return false;
  const int64_t cx = max_centered(x_dtype, x_params), cw = max_centered(w_params.dtype, w_params);
  // |acc| <= length * cx * cw (each at most 255 here, the length at most 2^26).
  return groups.max_length() * cx * cw <= int64_t(std::numeric_limits<int32_t>::max());
}

void run_gemm(const GemmCall& call, const PackedWeights* packed, const GemmKernels& kernels,
              const ImplOptions& options) {
  if (call.rows == 0 || call.w.channels == 0) return;
  if (call.groups->depth == 0) {
    // An empty reduction: y = 0 (then bias, activation, requantization).
    for (int64_t r = 0; r < call.rows; ++r) {
      for (int64_t k = 0; k < call.w.channels; ++k) {
        write_output(call, r, call.w.channel_offset + k, 0.0f);
      }
    }
    return;
  }
  if (call.w.params->zero_point_domain == ZeroPointDomain::float_domain) {
    run_float(call, options);
    return;
  }
  if (!takes_packed_path(call.x_dtype, *call.x_params, *call.w.params, *call.groups) ||
      x_scale_by_column(call)) {
    run_wide(call, options);
    return;
  }
  if (packed) {
    run_packed(call, *packed, kernels, options);
    return;
  }
  const PackedWeights pw = pack_weights(call.w, *call.groups);
  run_packed(call, pw, kernels, options);
}

}  // namespace qdiff::impl
