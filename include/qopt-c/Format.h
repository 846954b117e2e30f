/*===- Format.h - C API of lib/Format ---------------------------*- C -*-===*\
|*                                                                          *|
|* Part of qopt. A plain C surface over qopt::format, used by the Python    *|
|* package (ctypes) and by tests. Every function returns 0 on success and   *|
|* a negative value on bad arguments (see qoptFormatLastError).             *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/
#ifndef QOPT_C_FORMAT_H
#define QOPT_C_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Rounding: 0 nearest-even, 1 nearest-away, 2 toward-zero, 3 up, 4 down.
 * Scale mode: 0 floor, 1 ceil, 2 even, 3 rceil.
 * saturate: 1 saturate on overflow, 0 Inf (if the format has it) else NaN. */

/** Message of the last failed call on this thread ("" if none). */
const char *qoptFormatLastError(void);

/** Bit width of an element format name (ElementFormat::parse), or < 0. */
int qoptFormatBitWidth(const char *element);

/** codes[i] = encode(in[i]) in the element format. */
int qoptFormatEncode(const char *element, const double *in, uint32_t *codes,
                     size_t n, int rounding, int saturate);
/** out[i] = exact value of codes[i] (integers: their value). */
int qoptFormatDecode(const char *element, const uint32_t *codes, double *out,
                     size_t n);

/** ONNX QuantizeLinear per element with already broadcast scale/zero point
 *  (zero point given as an integer value; 0 for float formats). */
int qoptFormatQuantizeLinear(const char *element, const float *x,
                             const float *scale, const int64_t *zeroPoint,
                             uint32_t *codes, size_t n, int saturate);
/** ONNX DequantizeLinear per element. */
int qoptFormatDequantizeLinear(const char *element, const uint32_t *codes,
                               const float *scale, const int64_t *zeroPoint,
                               float *out, size_t n);

/** E8M0 scale code of an MX block with largest magnitude amax. */
int qoptFormatMXScaleCode(const char *element, float amax, int scaleMode,
                          uint32_t *code);

/** Number of scale-grid entries of a tensor format (preset or long form,
 *  TensorFormat::parse) for a value of `shape`. */
int qoptFormatScaleCount(const char *spec, const int64_t *shape, int rank,
                         size_t *count);
/** Quantizes a tensor: codes (one per element), scaleCodes (scale count),
 *  zeroPointCodes (scale count, may be NULL when the format has none),
 *  tensorScale (may be NULL when the format has none). */
int qoptFormatQuantize(const char *spec, const float *x, const int64_t *shape,
                       int rank, int rounding, int scaleMode, uint32_t *codes,
                       uint32_t *scaleCodes, uint32_t *zeroPointCodes,
                       float *tensorScale);
/** Dequantizes what qoptFormatQuantize produced. */
int qoptFormatDequantize(const char *spec, const int64_t *shape, int rank,
                         const uint32_t *codes, const uint32_t *scaleCodes,
                         const uint32_t *zeroPointCodes, const float *tensorScale,
                         float *out);

/** Packs n codes of `bits` bits into out (packed size: qoptFormatPackedSize). */
size_t qoptFormatPackedSize(size_t n, unsigned bits);
int qoptFormatPack(const uint32_t *codes, size_t n, unsigned bits, uint8_t *out);
int qoptFormatUnpack(const uint8_t *bytes, size_t n, unsigned bits, uint32_t *codes);

#ifdef __cplusplus
}
#endif

#endif /* QOPT_C_FORMAT_H */
