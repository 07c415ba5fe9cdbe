// Tensor: dense, row-major, contiguous, 64-byte aligned storage of one DType.
// Value semantics (copies copy the data). Construction enforces the element
// cap (core/limits.h), so a Tensor never holds more than max_elements().
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"

namespace qdiff {

class Tensor {
 public:
  Tensor();  // f32 scalar 0
  // Zero-filled. Throws too_large above the element cap.
  Tensor(DType dtype, const Shape& shape);

  template <typename T>
  static Tensor of(const Shape& shape, std::span<const T> values) {
    Tensor t(DTypeOf<T>::value, shape);
    if (int64_t(values.size()) != t.numel()) {
      fail(ErrorKind::invalid_shape, "tensor of shape {} needs {} values, got {}",
           shape.str(), t.numel(), values.size());
    }
    if (!values.empty()) std::memcpy(t.raw(), values.data(), values.size_bytes());
    return t;
  }
  template <typename T>
  static Tensor of(const Shape& shape, std::initializer_list<T> values) {
    return of<T>(shape, std::span<const T>(values.begin(), values.size()));
  }
  template <typename T>
  static Tensor of(const Shape& shape, const std::vector<T>& values) {
    return of<T>(shape, std::span<const T>(values));
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t numel() const { return numel_; }
  size_t nbytes() const { return size_t(numel_) * dtype_size(dtype_); }

  // Typed views; T must match dtype() (checked, throws unsupported).
  template <typename T>
  std::span<T> data() {
    check_type(DTypeOf<T>::value);
    return {reinterpret_cast<T*>(storage_.get()), size_t(numel_)};
  }
  template <typename T>
  std::span<const T> data() const {
    check_type(DTypeOf<T>::value);
    return {reinterpret_cast<const T*>(storage_.get()), size_t(numel_)};
  }
  void* raw() { return storage_.get(); }
  const void* raw() const { return storage_.get(); }

  // Element i (flat, row-major) of an integer tensor, widened. (Inline:
  // the reference and the generators read tensors element by element, and
  // the out-of-line accessors were a sixth of a qlinear fuzz execution.)
  // The switch repeats visit_integer_dtype (core/dtype.h) on purpose: gcc
  // 12 keeps that visitor out of line here (one call per element again).
  int64_t int_at(int64_t i) const {
    const std::byte* p = storage_.get();
    switch (dtype_) {
      case DType::i8: return reinterpret_cast<const int8_t*>(p)[i];
      case DType::u8: return reinterpret_cast<const uint8_t*>(p)[i];
      case DType::i16: return reinterpret_cast<const int16_t*>(p)[i];
      case DType::u16: return reinterpret_cast<const uint16_t*>(p)[i];
      case DType::i32: return reinterpret_cast<const int32_t*>(p)[i];
      case DType::f32: break;
    }
    type_mismatch(DType::i32);
  }
  // Element i of an f32 tensor.
  float f32_at(int64_t i) const {
    check_type(DType::f32);
    return reinterpret_cast<const float*>(storage_.get())[i];
  }
  // Element i of any tensor as double (exact for every dtype).
  double value_at(int64_t i) const {
    if (dtype_ == DType::f32) return f32_at(i);
    return double(int_at(i));
  }

  // Same data, new shape of equal numel (throws invalid_shape otherwise).
  Tensor reshaped(const Shape& shape) const;

  // Bitwise equality of dtype, shape and bytes (-0.0 != 0.0; NaN payloads
  // compared as bits).
  bool bitwise_equal(const Tensor& other) const;

  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

 private:
  struct AlignedFree {
    void operator()(std::byte* p) const;
  };
  void check_type(DType requested) const {
    if (requested != dtype_) [[unlikely]] type_mismatch(requested);
  }
  [[noreturn]] void type_mismatch(DType requested) const;  // throws unsupported
  void allocate();

  DType dtype_ = DType::f32;
  Shape shape_;
  int64_t numel_ = 1;
  std::unique_ptr<std::byte[], AlignedFree> storage_;
};

}  // namespace qdiff
