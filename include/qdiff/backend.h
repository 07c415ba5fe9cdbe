/* qdiff plug-in backend ABI (C, stable, versioned).
 *
 * A shared library that exports
 *
 *     const qdiff_backend* qdiff_backend_v1(void);
 *
 * (quantize, dequantize, qlinear) or, for every operation and the graph
 * passes (docs/plugin-backends.md, "ABI v2"),
 *
 *     const qdiff_backend_table_v2* qdiff_backend_v2(void);
 *
 * can be checked against qdiff's reference with
 *
 *     qdiff check --backend path/to/libmine.so
 *
 * which runs every property whose op the backend implements. qdiff owns
 * all memory: inputs are read-only views, outputs are preallocated with the
 * shape and dtype the op defines (SPEC sections 4, 5, 8) and must be filled
 * completely. Tensors are dense and row-major. A backend that cannot handle
 * a particular call (a layout, dtype or contract it does not support)
 * returns QDIFF_STATUS_UNSUPPORTED and qdiff skips that case; any other
 * non-OK status is an error kind and is compared with the reference's
 * (error parity). Entry points may be NULL (not implemented).
 */
#ifndef QDIFF_BACKEND_H_
#define QDIFF_BACKEND_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QDIFF_BACKEND_ABI_VERSION 1

typedef enum {
  QDIFF_DTYPE_F32 = 0,
  QDIFF_DTYPE_I8 = 1,
  QDIFF_DTYPE_U8 = 2,
  QDIFF_DTYPE_I16 = 3,
  QDIFF_DTYPE_U16 = 4,
  QDIFF_DTYPE_I32 = 5
} qdiff_dtype;

/* The error kinds of SPEC section 10, plus OK. */
typedef enum {
  QDIFF_STATUS_OK = 0,
  QDIFF_STATUS_INVALID_SHAPE = 1,
  QDIFF_STATUS_NON_DIVISIBLE_BLOCK = 2,
  QDIFF_STATUS_INVALID_SCALE = 3,
  QDIFF_STATUS_INVALID_ZERO_POINT = 4,
  QDIFF_STATUS_INVALID_RANGE = 5,
  QDIFF_STATUS_NAN_INPUT = 6,
  QDIFF_STATUS_TOO_LARGE = 7,
  QDIFF_STATUS_UNSUPPORTED = 9
} qdiff_status;

typedef enum {
  QDIFF_CONTRACT_TORCHAO = 0,
  QDIFF_CONTRACT_ONNX = 1,
  QDIFF_CONTRACT_HALF_AWAY = 2,
  QDIFF_CONTRACT_ZP_BEFORE = 3
} qdiff_contract;

typedef enum {
  QDIFF_ZERO_POINT_INT = 0,
  QDIFF_ZERO_POINT_FLOAT = 1,
  QDIFF_ZERO_POINT_NONE = 2
} qdiff_zero_point_domain;

typedef struct {
  qdiff_dtype dtype;
  int32_t rank;
  const int64_t* shape;
  const void* data;
} qdiff_tensor;

typedef struct {
  qdiff_dtype dtype;
  int32_t rank;
  const int64_t* shape;
  void* data;
} qdiff_output;

typedef struct {
  qdiff_tensor scale;                 /* f32 */
  const qdiff_tensor* zero_point;     /* NULL when absent */
  int64_t quant_min;
  int64_t quant_max;
  qdiff_dtype dtype;                  /* storage type of quantized values */
  qdiff_zero_point_domain zero_point_domain;
  const int64_t* block_size;          /* NULL: derived from the scale's shape */
} qdiff_quant_params;

/* The accumulation contract of qlinear and qconv2d (docs/plugin-backends.md,
 * "Accumulation contract"; core/qlinear_contract.h). The default (all 0) is
 * SPEC section 8: an f32 bias added in real units, the output zero point
 * added after rounding. */
typedef enum {
  QDIFF_BIAS_FLOAT = 0,               /* y = acc * s_x * s_w + bias */
  QDIFF_BIAS_INT32_ACC = 1            /* bias rounded to int32 at f32(s_x * s_w[k]), added to acc */
} qdiff_bias_grid;

typedef enum {
  QDIFF_OUTPUT_ZERO_POINT_AFTER_ROUNDING = 0,   /* rne(y / s_out) + z_out */
  QDIFF_OUTPUT_ZERO_POINT_BEFORE_ROUNDING = 1   /* rne(f32(y / s_out + f32(z_out))) */
} qdiff_output_zero_point;

typedef struct {
  int32_t bias;                       /* qdiff_bias_grid */
  int32_t output_zero_point;          /* qdiff_output_zero_point */
} qdiff_qlinear_contract;

typedef struct {
  qdiff_tensor x;
  qdiff_quant_params x_params;
  qdiff_tensor w;
  qdiff_quant_params w_params;
  const qdiff_tensor* bias;           /* f32 [K] or NULL */
  qdiff_quant_params out_params;
  int32_t activation;                 /* 0 none, 1 relu, 2 clamp */
  float activation_lo, activation_hi;
  /* Read only by a plug-in that declares QDIFF_FEATURE_QLINEAR_CONTRACT
   * (below); qdiff never sends another plug-in a contract but the default. */
  qdiff_qlinear_contract contract;
} qdiff_qlinear_args;

typedef struct {
  uint32_t abi_version;               /* QDIFF_BACKEND_ABI_VERSION */
  const char* name;
  void* context;                      /* passed back to every call */
  qdiff_status (*quantize_affine)(void* context, const qdiff_tensor* input,
                                  const qdiff_quant_params* params, qdiff_contract contract,
                                  qdiff_output* output);
  qdiff_status (*dequantize_affine)(void* context, const qdiff_tensor* input,
                                    const qdiff_quant_params* params, qdiff_output* output);
  qdiff_status (*qlinear)(void* context, const qdiff_qlinear_args* args, qdiff_output* output);
} qdiff_backend;

typedef const qdiff_backend* (*qdiff_backend_entry)(void);
#define QDIFF_BACKEND_ENTRY_SYMBOL "qdiff_backend_v1"

/* ---- ABI v2: every operation and the graph passes --------------------
 * v2 keeps every v1 type and adds the rest of SPEC sections 6-8. qdiff
 * looks for qdiff_backend_v2 first, then qdiff_backend_v1. */

#define QDIFF_BACKEND_ABI_VERSION_2 2

typedef enum {
  QDIFF_MAPPING_SYMMETRIC = 0,
  QDIFF_MAPPING_SYMMETRIC_NO_CLIPPING_ERR = 1,
  QDIFF_MAPPING_ASYMMETRIC = 2
} qdiff_mapping;

typedef struct {
  qdiff_mapping mapping;
  qdiff_dtype dtype;
  int64_t quant_min;
  int64_t quant_max;
  float eps;
  qdiff_zero_point_domain zero_point_domain;
  const int64_t* block_size;          /* one per input dim; NULL: one block */
} qdiff_choose_qparams_args;

typedef struct {
  qdiff_tensor x;                     /* NCHW */
  qdiff_quant_params x_params;
  qdiff_tensor w;                     /* [O, C / groups, kh, kw] */
  qdiff_quant_params w_params;
  const qdiff_tensor* bias;           /* f32 [O] or NULL */
  qdiff_quant_params out_params;
  int64_t stride[2];
  int64_t padding[4];                 /* top, left, bottom, right */
  int64_t dilation[2];
  int64_t groups;
  int32_t activation;                 /* 0 none, 1 relu, 2 clamp */
  float activation_lo, activation_hi;
  qdiff_qlinear_contract contract;    /* as qdiff_qlinear_args.contract */
} qdiff_qconv2d_args;

typedef enum { QDIFF_ELEMENTWISE_ADD = 0, QDIFF_ELEMENTWISE_MUL = 1 } qdiff_elementwise_op;

typedef struct {
  qdiff_elementwise_op op;
  qdiff_tensor a;                     /* numpy broadcasting of a and b */
  qdiff_quant_params a_params;
  qdiff_tensor b;
  qdiff_quant_params b_params;
  qdiff_quant_params out_params;
  int32_t activation;                 /* 0 none, 1 relu, 2 clamp */
  float activation_lo, activation_hi;
} qdiff_qelementwise_args;

/* Text a backend returns (a transformed graph): allocated by the backend,
 * released by qdiff through free_text. */
typedef struct {
  char* data;
  size_t size;
} qdiff_text;

typedef struct {
  uint32_t abi_version;               /* QDIFF_BACKEND_ABI_VERSION_2 */
  const char* name;
  void* context;
  /* v1's entry points, same meaning. */
  qdiff_status (*quantize_affine)(void* context, const qdiff_tensor* input,
                                  const qdiff_quant_params* params, qdiff_contract contract,
                                  qdiff_output* output);
  qdiff_status (*dequantize_affine)(void* context, const qdiff_tensor* input,
                                    const qdiff_quant_params* params, qdiff_output* output);
  qdiff_status (*qlinear)(void* context, const qdiff_qlinear_args* args, qdiff_output* output);
  /* SPEC section 6: scale (f32, shape input.shape[i] / block[i]) and, unless
   * the domain is none, zero point (i32 for int, f32 for float; same shape)
   * are preallocated; zero_point is NULL for the none domain. */
  qdiff_status (*choose_qparams_affine)(void* context, const qdiff_tensor* input,
                                        const qdiff_choose_qparams_args* args, qdiff_output* scale,
                                        qdiff_output* zero_point);
  /* SPEC section 7; NULL: qdiff composes it from quantize and dequantize. */
  qdiff_status (*fake_quantize_affine)(void* context, const qdiff_tensor* input,
                                       const qdiff_quant_params* params, qdiff_contract contract,
                                       qdiff_output* output);
  qdiff_status (*qconv2d)(void* context, const qdiff_qconv2d_args* args, qdiff_output* output);
  qdiff_status (*qelementwise)(void* context, const qdiff_qelementwise_args* args, qdiff_output* output);
  /* Graph passes (SPEC section 8). graph_passes lists the pipeline in
   * order, NULL-terminated (NULL: no passes). run_graph_pass applies one of
   * them to a graph given as the JSON "graph" object of a graph case file
   * (docs/case-file-format.md, "Graphs": {"nodes": [...], "outputs": [...]})
   * and returns the transformed graph in the same form, in *out, to be
   * released with free_text. UNSUPPORTED declines the graph. */
  const char* const* graph_passes;
  qdiff_status (*run_graph_pass)(void* context, const char* pass, const char* graph_json, qdiff_text* out);
  void (*free_text)(void* context, qdiff_text* text);
} qdiff_backend_table_v2;

typedef const qdiff_backend_table_v2* (*qdiff_backend_v2_entry)(void);
#define QDIFF_BACKEND_V2_ENTRY_SYMBOL "qdiff_backend_v2"

/* ---- Optional features (v1 and v2) -----------------------------------
 * Fields added to the argument structs after a plug-in was built are not
 * read by it. A plug-in that reads them says so by exporting
 *
 *     uint32_t qdiff_backend_features(void);
 *
 * returning a mask of the features below. Without it (or without a bit),
 * qdiff declines on the plug-in's behalf every call whose added field is not
 * its default, so an older plug-in is judged only on what it was written for.
 *
 * QDIFF_FEATURE_QLINEAR_CONTRACT: qlinear and qconv2d read args->contract
 * and return QDIFF_STATUS_UNSUPPORTED for a contract they do not follow. */
#define QDIFF_BACKEND_FEATURES_SYMBOL "qdiff_backend_features"
#define QDIFF_FEATURE_QLINEAR_CONTRACT 1u

typedef uint32_t (*qdiff_backend_features_entry)(void);

#ifdef __cplusplus
}
#endif

#endif /* QDIFF_BACKEND_H_ */
