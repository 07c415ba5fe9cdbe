// The one writer of every file qdiff produces (findings, case files of
// fuzz findings, JUnit and Markdown reports): a file is either complete at
// its final path or not there, and a failure is never silent.
//
// Steps: create missing parent directories (so a findings directory exists
// only once something is saved), write a temporary file in the same
// directory (".NAME.tmp-PID-N": never *.json, so replay and artifact
// listings never pick one up), fsync it, rename it over PATH, fsync the
// directory. A kill at any point leaves the old PATH (or none) and at
// worst a stray temporary file, never a truncated PATH.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace qdiff {

// An output that could not be written; what() names the path, the step
// that failed and strerror(errno).
class WriteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws WriteError. On failure the temporary file is removed and PATH
// keeps whatever it held before.
void write_file_durably(const std::string& path, std::string_view bytes);

}  // namespace qdiff
