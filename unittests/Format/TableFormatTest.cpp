//===- TableFormatTest.cpp - NF4 and user codebooks -----------------------===//
//
// Part of qopt. The NF4 table equals bitsandbytes' table; nearest-entry
// encoding (ties to the smaller magnitude, then the smaller code; NaN as the
// entry nearest 0) matches a linear-scan reference; codebook validation.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"

#include "qopt/Format/ElementFormat.h"
#include "qopt/Format/TableFormat.h"

#include "gtest/gtest.h"

#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace qopt::format;
namespace ref = qopt::format::ref;

namespace {

std::array<float, 16> toArray(const std::vector<float> &v) {
  std::array<float, 16> a{};
  for (size_t i = 0; i < 16; ++i)
    a[i] = v[i];
  return a;
}

std::string hexDouble(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a (%.17g)", d, d);
  return buf;
}

/// Every entry, every midpoint between neighbours and its double and float
/// neighbours, values beyond the ends, zeros and random values.
std::vector<double> tableSweep(const std::vector<float> &t) {
  std::vector<double> v;
  for (size_t i = 0; i < t.size(); ++i) {
    double e = t[i];
    v.push_back(e);
    v.push_back(std::nextafter(e, -1e300));
    v.push_back(std::nextafter(e, 1e300));
    v.push_back(double(std::nextafter(t[i], -1e30f)));
    v.push_back(double(std::nextafter(t[i], 1e30f)));
    if (i + 1 < t.size()) {
      double mid = (double(t[i]) + double(t[i + 1])) / 2; // exact
      v.push_back(mid);
      v.push_back(std::nextafter(mid, -1e300));
      v.push_back(std::nextafter(mid, 1e300));
      float fm = static_cast<float>(mid);
      v.push_back(double(fm));
      v.push_back(double(std::nextafter(fm, -1e30f)));
      v.push_back(double(std::nextafter(fm, 1e30f)));
    }
  }
  for (double x : {0.0, -0.0, 1e-30, -1e-30, 1.5, -1.5, 100.0, -100.0, 1e30,
                   -1e30, double(INFINITY), -double(INFINITY)})
    v.push_back(x);
  std::mt19937 gen(5);
  std::uniform_real_distribution<double> dist(-1.25, 1.25);
  for (int i = 0; i < 100000; ++i) {
    double d = dist(gen);
    v.push_back(d);
    v.push_back(double(static_cast<float>(d)));
  }
  return v;
}

void checkAgainstReference(const TableFormat &f, const std::vector<float> &t,
                           const char *what) {
  size_t bad = 0;
  std::ostringstream os;
  for (double v : tableSweep(t)) {
    uint32_t want = ref::tableEncode(t, v);
    uint32_t got = f.encode(v);
    if (got != want && bad++ < 25)
      os << "  encode(" << hexDouble(v) << ") = " << got << " (" << t[got & 15]
         << "), expected " << want << " (" << t[want] << ")\n";
  }
  EXPECT_EQ(bad, 0u) << what << " mismatches:\n" << os.str();
}

TEST(TableFormat, NF4MatchesBitsandbytes) {
  TableFormat nf4 = TableFormat::nf4();
  const std::vector<float> &t = ref::nf4Table();
  for (uint32_t c = 0; c < 16; ++c) {
    EXPECT_EQ(nf4.getValues()[c], t[c]) << "entry " << c;
    EXPECT_EQ(nf4.decode(c), double(t[c])) << "code " << c;
  }
  EXPECT_EQ(nf4.getName(), "nf4");
  EXPECT_EQ(nf4.getBitWidth(), 4u);
  EXPECT_EQ(nf4.getNumCodes(), 16u);
  EXPECT_EQ(nf4.getMaxAbs(), 1.0);
  EXPECT_TRUE(
      TableFormat::validate(std::vector<double>(t.begin(), t.end())).empty());
  EXPECT_TRUE(nf4 == TableFormat(toArray(t)));
}

TEST(TableFormat, NF4EncodeMatchesReference) {
  checkAgainstReference(TableFormat::nf4(), ref::nf4Table(), "nf4");
}

TEST(TableFormat, NF4HandPicked) {
  TableFormat nf4 = TableFormat::nf4();
  const std::vector<float> &t = ref::nf4Table();
  for (uint32_t c = 0; c < 16; ++c)
    EXPECT_EQ(nf4.encode(t[c]), c);
  EXPECT_EQ(nf4.encode(0.0), 7u);
  EXPECT_EQ(nf4.encode(-0.0), 7u);
  EXPECT_EQ(nf4.encode(std::nan("")), 7u); // the entry nearest 0
  EXPECT_EQ(nf4.encode(5.0), 15u);
  EXPECT_EQ(nf4.encode(-5.0), 0u);
  EXPECT_EQ(nf4.encode(INFINITY), 15u);
  EXPECT_EQ(nf4.encode(-INFINITY), 0u);
  // Ties pick the smaller magnitude.
  double midUp = (double(t[7]) + double(t[8])) / 2;   // between 0 and 0.0796
  double midDown = (double(t[6]) + double(t[7])) / 2; // between -0.091 and 0
  EXPECT_EQ(nf4.encode(midUp), 7u);
  EXPECT_EQ(nf4.encode(std::nextafter(midUp, 1.0)), 8u);
  EXPECT_EQ(nf4.encode(midDown), 7u);
  EXPECT_EQ(nf4.encode(std::nextafter(midDown, -1.0)), 6u);
  double midTop = (double(t[14]) + double(t[15])) / 2;
  EXPECT_EQ(nf4.encode(midTop), 14u);
  EXPECT_EQ(nf4.encode(std::nextafter(midTop, 2.0)), 15u);
  double midBottom = (double(t[0]) + double(t[1])) / 2;
  EXPECT_EQ(nf4.encode(midBottom), 1u);
  EXPECT_EQ(nf4.encode(std::nextafter(midBottom, -2.0)), 0u);

  auto parsed = ElementFormat::parse("nf4");
  ASSERT_TRUE(parsed.has_value());
  ASSERT_TRUE(parsed->isTable());
  EXPECT_TRUE(parsed->getTable() == nf4);
  EXPECT_EQ(parsed->getName(), "nf4");
  EXPECT_EQ(parsed->getBitWidth(), 4u);
  EXPECT_EQ(parsed->getMaxAbs(), 1.0);
  for (double v : {0.3, -0.3, midUp, 0.0, 2.0})
    EXPECT_EQ(parsed->encode(v), nf4.encode(v));
  for (uint32_t c = 0; c < 16; ++c)
    EXPECT_EQ(parsed->decode(c), double(t[c]));
}

TEST(TableFormat, EqualMagnitudeTiesPickTheSmallerCode) {
  // No zero entry: 0 is equally far from -1 (code 7) and 1 (code 8).
  std::vector<float> t = {-8, -7, -6, -5, -4, -3, -2, -1,
                          1,  2,  3,  4,  5,  6,  7,  8};
  ASSERT_TRUE(
      TableFormat::validate(std::vector<double>(t.begin(), t.end())).empty());
  TableFormat f(toArray(t));
  EXPECT_EQ(f.getName(), "codebook");
  EXPECT_EQ(f.getMaxAbs(), 8.0);
  EXPECT_EQ(f.encode(0.0), 7u);
  EXPECT_EQ(f.encode(-0.0), 7u);
  EXPECT_EQ(f.encode(std::nan("")), 7u);
  EXPECT_EQ(f.encode(1e-9), 8u);
  EXPECT_EQ(f.encode(-1e-9), 7u);
  EXPECT_EQ(f.encode(1.5), 8u);  // 1 vs 2: smaller magnitude
  EXPECT_EQ(f.encode(-1.5), 7u); // -1 vs -2
  EXPECT_EQ(f.encode(7.5), 14u); // 7 vs 8
  EXPECT_EQ(f.encode(-7.5), 1u); // -7 vs -8
  checkAgainstReference(f, t, "symmetric codebook");
}

TEST(TableFormat, UniformCodebook) {
  std::vector<float> t;
  for (int i = 0; i < 16; ++i)
    t.push_back(float(i) - 7.5f);
  TableFormat f(toArray(t), "uniform");
  EXPECT_EQ(f.encode(0.0), 7u);  // -0.5 (7) vs 0.5 (8)
  EXPECT_EQ(f.encode(1.0), 8u);  // 0.5 vs 1.5
  EXPECT_EQ(f.encode(-1.0), 7u); // -0.5 vs -1.5
  EXPECT_EQ(f.encode(7.0), 14u);
  checkAgainstReference(f, t, "uniform codebook");
}

TEST(TableFormat, AsymmetricCodebook) {
  std::vector<float> t = {-0.75f,  -0.5f,  -0.375f, -0.25f,  -0.125f, 0.0f,
                          0.0625f, 0.125f, 0.25f,   0.3125f, 0.5f,    0.625f,
                          0.75f,   1.0f,   1.5f,    3.0f};
  TableFormat f(toArray(t));
  EXPECT_EQ(f.getMaxAbs(), 3.0);
  EXPECT_EQ(f.encode(std::nan("")), 5u);
  EXPECT_EQ(f.encode(2.25), 14u); // 1.5 vs 3: smaller magnitude
  checkAgainstReference(f, t, "asymmetric codebook");
}

TEST(TableFormat, ValidateRejectsBadCodebooks) {
  std::vector<double> good(ref::nf4Table().begin(), ref::nf4Table().end());
  EXPECT_TRUE(TableFormat::validate(good).empty());

  std::vector<double> shortList(good.begin(), good.end() - 1);
  EXPECT_FALSE(TableFormat::validate(shortList).empty()) << "15 entries";
  std::vector<double> longList(good);
  longList.push_back(2.0);
  EXPECT_FALSE(TableFormat::validate(longList).empty()) << "17 entries";
  EXPECT_FALSE(TableFormat::validate({}).empty()) << "empty";

  std::vector<double> dup(good);
  dup[9] = dup[8];
  EXPECT_FALSE(TableFormat::validate(dup).empty()) << "duplicate entry";
  std::vector<double> dec(good);
  std::swap(dec[3], dec[4]);
  EXPECT_FALSE(TableFormat::validate(dec).empty()) << "not increasing";
  std::vector<double> withNaN(good);
  withNaN[5] = std::nan("");
  EXPECT_FALSE(TableFormat::validate(withNaN).empty()) << "NaN entry";
  std::vector<double> withInf(good);
  withInf[15] = INFINITY;
  EXPECT_FALSE(TableFormat::validate(withInf).empty()) << "Inf entry";
  std::vector<double> withNegInf(good);
  withNegInf[0] = -INFINITY;
  EXPECT_FALSE(TableFormat::validate(withNegInf).empty()) << "-Inf entry";
}

} // namespace
