//===- PackingTest.cpp - bit packing and the serialized layout ------------===//
//
// Part of qopt. packCodes/unpackCodes against hand-written bytes and a
// reference bit stream for every width 1..16; serialize/deserialize round
// trips, sizes and section layout of Packing.h.
//
//===----------------------------------------------------------------------===//

#include "Reference.h"

#include "qopt/Format/Packing.h"
#include "qopt/Format/Quantizer.h"
#include "qopt/Format/TensorFormat.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace qopt::format;
namespace ref = qopt::format::ref;

namespace {

std::vector<uint8_t> pack(const std::vector<uint32_t> &codes, unsigned bits) {
  return packCodes(codes.data(), codes.size(), bits);
}

std::vector<uint32_t> unpack(const std::vector<uint8_t> &bytes, size_t count,
                             unsigned bits) {
  std::vector<uint32_t> out(count, 0xDEADBEEFu);
  unpackCodes(bytes.data(), count, bits, out.data());
  return out;
}

using Bytes = std::vector<uint8_t>;

TEST(Packing, PackedSize) {
  for (unsigned bits = 1; bits <= 16; ++bits)
    for (size_t n :
         {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 1000, 1001, 4097})
      EXPECT_EQ(packedSize(n, bits), (n * bits + 7) / 8)
          << n << " codes of " << bits << " bits";
  EXPECT_EQ(packedSize(3, 4), 2u);
  EXPECT_EQ(packedSize(5, 2), 2u);
  EXPECT_EQ(packedSize(4, 6), 3u);
  EXPECT_EQ(packedSize(3, 16), 6u);
}

TEST(Packing, FourBitLowNibbleFirst) {
  EXPECT_EQ(pack({1, 2}, 4), Bytes({0x21}));
  EXPECT_EQ(pack({1, 2, 3}, 4), Bytes({0x21, 0x03}));
  EXPECT_EQ(pack({0xF, 0x0, 0xA, 0x5}, 4), Bytes({0x0F, 0x5A}));
  EXPECT_EQ(unpack({0x21}, 2, 4), std::vector<uint32_t>({1, 2}));
  EXPECT_EQ(unpack({0x21, 0x43}, 3, 4), std::vector<uint32_t>({1, 2, 3}));
}

TEST(Packing, TwoBitFourPerByte) {
  EXPECT_EQ(pack({0, 1, 2, 3}, 2), Bytes({0xE4}));
  EXPECT_EQ(pack({3, 0, 0, 0, 1}, 2), Bytes({0x03, 0x01}));
  EXPECT_EQ(unpack({0xE4}, 4, 2), std::vector<uint32_t>({0, 1, 2, 3}));
}

TEST(Packing, OneBitLsbFirst) {
  EXPECT_EQ(pack({1, 0, 1, 1, 0, 0, 0, 1}, 1), Bytes({0x8D}));
  EXPECT_EQ(pack({1, 0, 1, 1, 0, 0, 0, 1, 1}, 1), Bytes({0x8D, 0x01}));
  EXPECT_EQ(unpack({0x8D}, 8, 1),
            std::vector<uint32_t>({1, 0, 1, 1, 0, 0, 0, 1}));
}

TEST(Packing, DenseBitStreamsForOddWidths) {
  // 6-bit: code0 in bits 0-5, code1 in bits 6-11, ... (little-endian).
  EXPECT_EQ(pack({0x3F, 0x00, 0x15, 0x2A}, 6), Bytes({0x3F, 0x50, 0xA9}));
  EXPECT_EQ(unpack({0x3F, 0x50, 0xA9}, 4, 6),
            std::vector<uint32_t>({0x3F, 0x00, 0x15, 0x2A}));
  // 3-bit: 1,2,...,7,0 -> 0x1F58D1 little-endian.
  EXPECT_EQ(pack({1, 2, 3, 4, 5, 6, 7, 0}, 3), Bytes({0xD1, 0x58, 0x1F}));
  // 9-bit: 0x1FF, 0x001, 0x155 -> 27 bits in 4 bytes.
  EXPECT_EQ(pack({0x1FF, 0x001, 0x155}, 9), Bytes({0xFF, 0x03, 0x54, 0x05}));
  EXPECT_EQ(unpack({0xFF, 0x03, 0x54, 0x05}, 3, 9),
            std::vector<uint32_t>({0x1FF, 0x001, 0x155}));
}

TEST(Packing, EightAndSixteenBit) {
  EXPECT_EQ(pack({0x00, 0x7F, 0x80, 0xFF}, 8), Bytes({0x00, 0x7F, 0x80, 0xFF}));
  EXPECT_EQ(pack({0x1234, 0xABCD}, 16), Bytes({0x34, 0x12, 0xCD, 0xAB}));
  EXPECT_EQ(unpack({0x34, 0x12, 0xCD, 0xAB}, 2, 16),
            std::vector<uint32_t>({0x1234, 0xABCD}));
}

TEST(Packing, EveryWidthMatchesReferenceAndRoundTrips) {
  std::mt19937 gen(2024);
  for (unsigned bits = 1; bits <= 16; ++bits) {
    const uint32_t mask = (1u << bits) - 1;
    for (size_t n : {0, 1, 2, 3, 5, 7, 8, 9, 13, 16, 31, 32, 33, 64, 100, 257,
                     1000, 4099}) {
      SCOPED_TRACE(std::to_string(n) + " codes of " + std::to_string(bits) +
                   " bits");
      std::vector<uint32_t> codes(n);
      for (auto &c : codes)
        c = gen() & mask;
      if (n >= 2) { // make sure the extremes appear
        codes[0] = mask;
        codes[1] = 0;
      }
      Bytes want = ref::packBits(codes, bits);
      Bytes got = pack(codes, bits);
      EXPECT_EQ(got.size(), packedSize(n, bits));
      EXPECT_EQ(got, want);
      EXPECT_EQ(unpack(want, n, bits), codes);
      EXPECT_EQ(unpack(got, n, bits), codes);
    }
  }
}

TEST(Packing, UnpackReadsOnlyItsBytes) {
  // A packed prefix followed by unrelated bytes: the codes do not change.
  std::vector<uint32_t> codes = {5, 9, 1, 14, 0, 3, 7};
  Bytes bytes = ref::packBits(codes, 4);
  bytes.push_back(0xFF);
  bytes.push_back(0xFF);
  EXPECT_EQ(unpack(bytes, codes.size(), 4), codes);
  // The unused high nibble of the last byte is ignored.
  Bytes odd = ref::packBits(codes, 4);
  odd.back() |= 0xF0;
  EXPECT_EQ(unpack(odd, codes.size(), 4), codes);
}

//===----------------------------------------------------------------------===//
// Serialization
//===----------------------------------------------------------------------===//

std::optional<TensorFormat> parseFormat(const std::string &spec) {
  std::string error;
  auto f = TensorFormat::parse(spec, error);
  EXPECT_TRUE(f.has_value()) << spec << ": " << error;
  return f;
}

std::vector<float> randomData(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  std::vector<float> v(n);
  for (auto &x : v)
    x = dist(gen);
  return v;
}

int64_t numElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

bool sameTensor(const QuantizedTensor &a, const QuantizedTensor &b,
                std::string &why) {
  if (a.shape != b.shape)
    why = "shape";
  else if (a.codes != b.codes)
    why = "codes";
  else if (a.scaleCodes != b.scaleCodes)
    why = "scale codes";
  else if (a.zeroPointCodes != b.zeroPointCodes)
    why = "zero-point codes";
  else if (a.tensorScale.has_value() != b.tensorScale.has_value())
    why = "tensor scale presence";
  else if (a.tensorScale &&
           ref::floatBits(*a.tensorScale) != ref::floatBits(*b.tensorScale))
    why = "tensor scale value";
  else
    return true;
  return false;
}

struct SerializeCase {
  const char *spec;
  std::vector<int64_t> shape;
};

TEST(Serialize, RoundTripAndSizes) {
  const SerializeCase cases[] = {
      {"mxfp4", {2, 64}},
      {"mxfp4", {64}},
      {"mxfp6_e2m3", {3, 32}},
      {"mxfp6_e3m2", {1, 96}},
      {"mxfp8_e4m3", {4, 32}},
      {"mxfp8_e5m2", {2, 64}},
      {"mxint8", {2, 32}},
      {"nvfp4", {2, 32}},
      {"nvfp4", {3, 16}},
      {"nvint4", {2, 48}},
      {"int8", {5, 7}},
      {"int4", {4, 128}},
      {"int4_g32", {4, 64}},
      {"int8_g64", {2, 128}},
      {"nf4", {2, 64}},
      {"nf4_g32", {3, 32}},
      {"fp8_e4m3", {3, 5}},
      {"fp8_e5m2", {9}},
      {"element=ui4,scale=f16,block=32,axis=-1,zero_point=ui4", {2, 64}},
      {"element=i8,scale=f8E8M0FNU,block=10,axis=-1", {7, 10}},
  };
  uint32_t seed = 1;
  for (const SerializeCase &c : cases) {
    SCOPED_TRACE(std::string(c.spec) + " shape rank " +
                 std::to_string(c.shape.size()));
    auto fmt = parseFormat(c.spec);
    if (!fmt)
      continue;
    ASSERT_EQ(fmt->verifyShape(c.shape), "");
    std::vector<float> data = randomData(numElements(c.shape), seed++);
    QuantizedTensor q = quantize(*fmt, data.data(), c.shape);
    Bytes bytes = serialize(*fmt, q);
    EXPECT_EQ(bytes.size(), serializedSize(*fmt, c.shape));

    // The first section is the packed element codes.
    unsigned eb = fmt->getElement().getBitWidth();
    Bytes elems = ref::packBits(q.codes, eb);
    ASSERT_GE(bytes.size(), elems.size());
    EXPECT_TRUE(std::equal(elems.begin(), elems.end(), bytes.begin()))
        << "element section is not packCodes of the codes";

    auto back = deserialize(*fmt, c.shape, bytes.data(), bytes.size());
    ASSERT_TRUE(back.has_value());
    std::string why;
    EXPECT_TRUE(sameTensor(q, *back, why)) << "differs in " << why;

    // Wrong sizes are rejected.
    EXPECT_FALSE(
        deserialize(*fmt, c.shape, bytes.data(), bytes.size() - 1).has_value());
    Bytes longer = bytes;
    longer.push_back(0);
    EXPECT_FALSE(
        deserialize(*fmt, c.shape, longer.data(), longer.size()).has_value());
    EXPECT_FALSE(deserialize(*fmt, c.shape, bytes.data(), 0).has_value());
  }
}

TEST(Serialize, MXFP4Layout) {
  auto fmt = parseFormat("mxfp4");
  ASSERT_TRUE(fmt);
  // 64 FP4 codes (32 bytes), then two E8M0 codes at offset 32.
  std::vector<int64_t> shape = {64};
  std::vector<float> data(64, 0.0f);
  for (int i = 0; i < 32; ++i)
    data[i] = 1.0f; // block 0: amax 1 -> shared exp -2 -> 0x7D
  for (int i = 32; i < 64; ++i)
    data[i] = 512.0f; // block 1: amax 512 -> 9 - 2 = 7 -> 0x86
  QuantizedTensor q = quantize(*fmt, data.data(), shape);
  Bytes bytes = serialize(*fmt, q);
  ASSERT_GE(bytes.size(), 34u);
  EXPECT_EQ(serializedSize(*fmt, shape), bytes.size());
  // 1.0 / 2^-2 = 4 -> E2M1 code 6; 512 / 2^7 = 4 -> 6. Bytes 0x66.
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(bytes[i], 0x66) << i;
  EXPECT_EQ(bytes[32], 0x7D);
  EXPECT_EQ(bytes[33], 0x86);
  EXPECT_LE(bytes.size(), 36u);
}

TEST(Serialize, TensorScaleIsTheLastAlignedWord) {
  auto fmt = parseFormat("nvfp4");
  ASSERT_TRUE(fmt);
  ASSERT_TRUE(fmt->getTensorScale().has_value());
  std::vector<int64_t> shape = {32};
  std::vector<float> data = randomData(32, 99);
  data[3] = 5376.0f; // tensor amax 5376 -> s_tensor = 5376 / 2688 = 2
  for (auto &x : data)
    if (std::fabs(x) > 5376.0f)
      x = 0;
  QuantizedTensor q = quantize(*fmt, data.data(), shape);
  ASSERT_TRUE(q.tensorScale.has_value());
  EXPECT_EQ(*q.tensorScale, 2.0f);
  Bytes bytes = serialize(*fmt, q);
  ASSERT_GE(bytes.size(), 16u + 2u + 4u);
  size_t off = bytes.size() - 4;
  EXPECT_EQ(off % 4, 0u) << "the FP32 section starts at a multiple of 4";
  float ts;
  std::memcpy(&ts, bytes.data() + off, 4); // little-endian host
  EXPECT_EQ(ts, 2.0f);
  // Elements: 16 bytes, then the block scales starting at offset 16.
  EXPECT_EQ(bytes.size(), 24u);
}

} // namespace
