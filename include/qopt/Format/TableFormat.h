//===- TableFormat.h - codebook (lookup-table) element formats --*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR). NF4 and user-given 16-entry codebooks.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_TABLEFORMAT_H
#define QOPT_FORMAT_TABLEFORMAT_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace qopt::format {

/// A 4-bit code indexing 16 float values (normally on [-1, 1], scaled by the
/// block absmax). Values must be finite and strictly increasing.
class TableFormat {
public:
  /// Returns an error message, or empty when `values` is a valid codebook.
  static std::string validate(const std::vector<double> &values);
  explicit TableFormat(std::array<float, 16> values, std::string name = "");

  /// bitsandbytes' NF4 normal-quantile table.
  static TableFormat nf4();

  unsigned getBitWidth() const { return 4; }
  uint32_t getNumCodes() const { return 16; }
  const std::array<float, 16> &getValues() const { return values; }
  double getMaxAbs() const;
  double decode(uint32_t code) const { return values[code & 15]; }
  /// Nearest entry; a tie between two entries picks the one of smaller
  /// magnitude (then the smaller code). NaN encodes as the entry nearest 0.
  uint32_t encode(double value) const;
  /// "nf4" for the NF4 table, else "codebook".
  const std::string &getName() const { return name; }

  bool operator==(const TableFormat &o) const { return values == o.values; }
  bool operator!=(const TableFormat &o) const { return !(*this == o); }

private:
  std::array<float, 16> values;
  std::string name;
};

} // namespace qopt::format

#endif // QOPT_FORMAT_TABLEFORMAT_H
