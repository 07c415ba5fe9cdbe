// The content hash that names stored cases (findings, fuzz regressions,
// seeds): a file's name says what it holds, so two runs writing into one
// directory never overwrite each other's cases and the same case is
// stored once.
#pragma once

#include <string>
#include <string_view>

namespace qdiff {

// FNV-1a 64 of the bytes as 16 hex digits: stable file names across runs,
// compilers and machines (std::hash is none of these).
std::string stable_hash_hex(std::string_view bytes);

}  // namespace qdiff
