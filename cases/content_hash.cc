#include "cases/content_hash.h"

#include <cstdint>

#include <fmt/format.h>

namespace qdiff {

std::string stable_hash_hex(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64 offset basis
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;  // FNV prime (unsigned: wraps by definition)
  }
  return fmt::format("{:016x}", h);
}

}  // namespace qdiff
