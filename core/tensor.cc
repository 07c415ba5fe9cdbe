#include "core/tensor.h"

#include <cstdlib>
#include <new>

#include "core/limits.h"

namespace qdiff {

void Tensor::AlignedFree::operator()(std::byte* p) const { std::free(p); }

Tensor::Tensor() { allocate(); }

Tensor::Tensor(DType dtype, const Shape& shape) : dtype_(dtype), shape_(shape) {
  numel_ = check_element_cap(shape, "tensor");
  allocate();
}

void Tensor::allocate() {
  // 64-byte alignment for vector loads; at least one cache line so that
  // empty tensors still own a valid pointer.
  size_t bytes = nbytes();
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, rounded);
  storage_.reset(static_cast<std::byte*>(p));
}

Tensor::Tensor(const Tensor& other)
    : dtype_(other.dtype_), shape_(other.shape_), numel_(other.numel_) {
  allocate();
  if (nbytes()) std::memcpy(storage_.get(), other.storage_.get(), nbytes());
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) {
    Tensor copy(other);
    *this = std::move(copy);
  }
  return *this;
}

void Tensor::type_mismatch(DType requested) const {
  fail(ErrorKind::unsupported, "tensor has dtype {}, accessed as {}", dtype_name(dtype_),
       dtype_name(requested));
}

Tensor Tensor::reshaped(const Shape& shape) const {
  const auto n = shape.checked_numel();
  if (!n || *n != numel_) {
    fail(ErrorKind::invalid_shape, "cannot reshape {} ({} elements) to {}",
         shape_.str(), numel_, shape.str());
  }
  Tensor t(*this);
  t.shape_ = shape;
  return t;
}

bool Tensor::bitwise_equal(const Tensor& other) const {
  return dtype_ == other.dtype_ && shape_ == other.shape_ &&
         (nbytes() == 0 ||
          std::memcmp(storage_.get(), other.storage_.get(), nbytes()) == 0);
}

}  // namespace qdiff
