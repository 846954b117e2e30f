//===- Format.cpp - C API of lib/Format ------------------------------------===//
//
// Part of qopt. Thin C wrappers over qopt::format for ctypes and tests.
//
//===----------------------------------------------------------------------===//
#include "qopt-c/Format.h"

#include "qopt/Format/Packing.h"
#include "qopt/Format/Quantizer.h"

#include <string>

using namespace qopt::format;

static thread_local std::string lastError;

static int fail(std::string message) {
  lastError = std::move(message);
  return -1;
}

static std::optional<ElementFormat> element(const char *name) {
  if (!name) {
    lastError = "null format name";
    return std::nullopt;
  }
  auto f = ElementFormat::parse(name);
  if (!f)
    lastError = std::string("unknown element format '") + name + "'";
  return f;
}

static bool roundingOf(int r, Rounding &out) {
  if (r < 0 || r > 4)
    return fail("rounding must be 0..4, got " + std::to_string(r)), false;
  out = Rounding(r);
  return true;
}

static std::optional<TensorFormat> tensorFormat(const char *spec, const int64_t *shape,
                                                int rank, std::vector<int64_t> &dims) {
  std::string err;
  if (!spec)
    return fail("null format spec"), std::nullopt;
  auto f = TensorFormat::parse(spec, err);
  if (!f)
    return fail(err), std::nullopt;
  if (rank < 0 || (rank > 0 && !shape))
    return fail("bad shape"), std::nullopt;
  dims.assign(shape, shape + rank);
  for (int64_t d : dims)
    if (d < 0)
      return fail("negative dimension"), std::nullopt;
  err = f->verifyShape(dims);
  if (!err.empty())
    return fail(err), std::nullopt;
  return f;
}

extern "C" {

const char *qoptFormatLastError(void) { return lastError.c_str(); }

int qoptFormatBitWidth(const char *name) {
  auto f = element(name);
  return f ? int(f->getBitWidth()) : -1;
}

int qoptFormatEncode(const char *name, const double *in, uint32_t *codes, size_t n,
                     int rounding, int saturate) {
  auto f = element(name);
  Rounding r;
  if (!f || !roundingOf(rounding, r))
    return -1;
  Overflow o = saturate ? Overflow::Saturate : Overflow::Special;
  for (size_t i = 0; i < n; ++i)
    codes[i] = f->encode(in[i], r, o);
  return 0;
}

int qoptFormatDecode(const char *name, const uint32_t *codes, double *out, size_t n) {
  auto f = element(name);
  if (!f)
    return -1;
  for (size_t i = 0; i < n; ++i)
    out[i] = f->decode(codes[i]);
  return 0;
}

int qoptFormatQuantizeLinear(const char *name, const float *x, const float *scale,
                             const int64_t *zeroPoint, uint32_t *codes, size_t n,
                             int saturate) {
  auto f = element(name);
  if (!f)
    return -1;
  Overflow o = saturate ? Overflow::Saturate : Overflow::Special;
  for (size_t i = 0; i < n; ++i)
    codes[i] = quantizeLinear(*f, x[i], scale[i], zeroPoint ? zeroPoint[i] : 0,
                              Rounding::NearestEven, o);
  return 0;
}

int qoptFormatDequantizeLinear(const char *name, const uint32_t *codes, const float *scale,
                               const int64_t *zeroPoint, float *out, size_t n) {
  auto f = element(name);
  if (!f)
    return -1;
  for (size_t i = 0; i < n; ++i)
    out[i] = dequantizeLinear(*f, codes[i], scale[i], zeroPoint ? zeroPoint[i] : 0);
  return 0;
}

int qoptFormatMXScaleCode(const char *name, float amax, int scaleMode, uint32_t *code) {
  auto f = element(name);
  if (!f)
    return -1;
  if (scaleMode < 0 || scaleMode > 3)
    return fail("scale mode must be 0..3, got " + std::to_string(scaleMode));
  *code = mxScaleCode(amax, *f, ScaleMode(scaleMode));
  return 0;
}

int qoptFormatScaleCount(const char *spec, const int64_t *shape, int rank, size_t *count) {
  std::vector<int64_t> dims;
  auto f = tensorFormat(spec, shape, rank, dims);
  if (!f)
    return -1;
  size_t n = 1;
  for (int64_t d : f->getScaleShape(dims))
    n *= size_t(d);
  *count = n;
  return 0;
}

int qoptFormatQuantize(const char *spec, const float *x, const int64_t *shape, int rank,
                       int rounding, int scaleMode, uint32_t *codes, uint32_t *scaleCodes,
                       uint32_t *zeroPointCodes, float *tensorScale) {
  std::vector<int64_t> dims;
  auto f = tensorFormat(spec, shape, rank, dims);
  QuantizeOptions options;
  if (!f || !roundingOf(rounding, options.rounding))
    return -1;
  if (scaleMode < 0 || scaleMode > 3)
    return fail("scale mode must be 0..3, got " + std::to_string(scaleMode));
  options.scaleMode = ScaleMode(scaleMode);
  if (f->getZeroPoint() && !zeroPointCodes)
    return fail("format has zero points: zeroPointCodes must not be null");
  if (f->getTensorScale() && !tensorScale)
    return fail("format has a tensor scale: tensorScale must not be null");
  QuantizedTensor q = quantize(*f, x, dims, options);
  std::copy(q.codes.begin(), q.codes.end(), codes);
  std::copy(q.scaleCodes.begin(), q.scaleCodes.end(), scaleCodes);
  if (f->getZeroPoint())
    std::copy(q.zeroPointCodes.begin(), q.zeroPointCodes.end(), zeroPointCodes);
  if (f->getTensorScale())
    *tensorScale = *q.tensorScale;
  return 0;
}

int qoptFormatDequantize(const char *spec, const int64_t *shape, int rank,
                         const uint32_t *codes, const uint32_t *scaleCodes,
                         const uint32_t *zeroPointCodes, const float *tensorScale,
                         float *out) {
  std::vector<int64_t> dims;
  auto f = tensorFormat(spec, shape, rank, dims);
  if (!f)
    return -1;
  if ((f->getZeroPoint() && !zeroPointCodes) || (f->getTensorScale() && !tensorScale))
    return fail("format needs zero points / tensor scale that were not given");
  QuantizedTensor q;
  q.shape = dims;
  size_t n = 1, ns = 1;
  for (int64_t d : dims)
    n *= size_t(d);
  for (int64_t d : f->getScaleShape(dims))
    ns *= size_t(d);
  q.codes.assign(codes, codes + n);
  q.scaleCodes.assign(scaleCodes, scaleCodes + ns);
  if (f->getZeroPoint())
    q.zeroPointCodes.assign(zeroPointCodes, zeroPointCodes + ns);
  if (f->getTensorScale())
    q.tensorScale = *tensorScale;
  dequantize(*f, q, out);
  return 0;
}

size_t qoptFormatPackedSize(size_t n, unsigned bits) { return packedSize(n, bits); }

int qoptFormatPack(const uint32_t *codes, size_t n, unsigned bits, uint8_t *out) {
  if (bits < 1 || bits > 16)
    return fail("bits must be 1..16");
  std::vector<uint8_t> bytes = packCodes(codes, n, bits);
  std::copy(bytes.begin(), bytes.end(), out);
  return 0;
}

int qoptFormatUnpack(const uint8_t *bytes, size_t n, unsigned bits, uint32_t *codes) {
  if (bits < 1 || bits > 16)
    return fail("bits must be 1..16");
  unpackCodes(bytes, n, bits, codes);
  return 0;
}

} // extern "C"
