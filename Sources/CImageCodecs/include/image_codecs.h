// image_codecs.h: libpng and libjpeg behind a longjmp-free interface.
//
// libpng and libjpeg report errors by longjmp, which Swift cannot unwind
// through. Every call into them happens in image_codecs.c under setjmp; each
// function here returns IC_OK (0) on success, or a nonzero IC_ERR_* code with a
// human-readable message (the library's own words) in the caller's buffer.
// Nothing is leaked on either path. Decoding and encoding work on memory
// buffers: file access, format detection and pixel conversion are Swift's job.
#ifndef IMAGE_CODECS_H
#define IMAGE_CODECS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    IC_OK = 0,
    IC_ERR_TRUNCATED = 1,    // the data ends before the image does
    IC_ERR_CORRUPT = 2,      // invalid data (bad CRC, bad marker, bad zlib stream...)
    IC_ERR_UNSUPPORTED = 3,  // valid, but a variant this code does not decode
    IC_ERR_TOO_LARGE = 4,    // more than IC_MAX_PIXELS pixels
    IC_ERR_NO_MEMORY = 5,
    IC_ERR_INVALID_ARGUMENT = 6,
};

// Largest width * height accepted by the decoders (8192 x 8192).
#define IC_MAX_PIXELS ((size_t)1 << 26)

// A decoded image: interleaved samples, row after row, no padding.
typedef struct {
    int width;
    int height;
    int channels;   // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (alpha not premultiplied)
    int bit_depth;  // 8 (unsigned char samples) or 16 (unsigned short, host byte order)
    void *data;     // width * height * channels samples; release with ic_free
} ic_raster;

// Decodes a PNG of any colour type, bit depth and interlacing. Palette images
// become RGB, gray below 8 bits becomes 8-bit, tRNS becomes an alpha channel;
// 16-bit samples stay 16-bit. No gamma or colour management is applied.
int ic_decode_png(const unsigned char *bytes, size_t size, ic_raster *out,
                  char *message, size_t message_size);

// Decodes a baseline or progressive 8-bit JPEG. Grayscale gives 1 channel,
// YCbCr/RGB gives 3; CMYK and YCCK are converted naively (no ICC profile) to
// 3-channel RGB, assuming Adobe's inverted CMYK when an Adobe marker is present.
// A file that ends early is an error (IC_ERR_TRUNCATED), not a gray tail.
int ic_decode_jpeg(const unsigned char *bytes, size_t size, ic_raster *out,
                   char *message, size_t message_size);

// Encodes 8-bit interleaved samples (channels 1 = gray or 3 = RGB) as a PNG
// in memory. On success *png points to *png_size bytes; release with ic_free.
int ic_encode_png(const unsigned char *samples, int width, int height, int channels,
                  unsigned char **png, size_t *png_size,
                  char *message, size_t message_size);

void ic_free(void *pointer);

#ifdef __cplusplus
}
#endif

#endif
