// image_codecs.c: the only place where libpng and libjpeg are called.
//
// Pattern used throughout: a public function owns a zero-initialised "job"
// struct that records every resource, and calls a *_guarded helper that does
// the work under setjmp. A library error longjmps back into the helper, which
// returns an error code; the public function then releases whatever the job
// holds. Because the helper only touches the job through an unchanged pointer,
// no local variable is live across the longjmp (so none needs `volatile`).
#include "image_codecs.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>  // jpeglib.h needs FILE and size_t declared first
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

// Copies a message into the caller's buffer, always NUL-terminated.
static void set_message(char *message, size_t size, const char *text) {
    if (message == NULL || size == 0) return;
    snprintf(message, size, "%s", text);
}

static int fail(char *message, size_t size, int code, const char *text) {
    set_message(message, size, text);
    return code;
}

static int too_large(char *message, size_t size, size_t width, size_t height) {
    char text[160];
    snprintf(text, sizeof text, "image is %zux%zu pixels, more than the limit of %zu",
             width, height, (size_t)IC_MAX_PIXELS);
    return fail(message, size, IC_ERR_TOO_LARGE, text);
}

void ic_free(void *pointer) { free(pointer); }

// MARK: - PNG decoding

typedef struct {
    const unsigned char *bytes;
    size_t size, position;
    int hit_end;            // the reader ran out of bytes: report truncation
    char *message;
    size_t message_size;
    png_structp png;
    png_infop info;
    unsigned char *pixels;  // the decoded image, handed to the caller on success
    png_bytep *rows;        // row pointers into pixels
} png_job;

static void png_on_error(png_structp png, png_const_charp text) {
    png_job *job = png_get_error_ptr(png);
    set_message(job->message, job->message_size, text);
    png_longjmp(png, 1);
}

// Warnings (bad ancillary chunks, odd ICC profiles...) do not stop decoding.
static void png_on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void png_read_memory(png_structp png, png_bytep out, size_t count) {
    png_job *job = png_get_io_ptr(png);
    if (count > job->size - job->position) {
        job->hit_end = 1;
        png_error(png, "unexpected end of file");
    }
    memcpy(out, job->bytes + job->position, count);
    job->position += count;
}

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

static int png_decode_guarded(png_job *job, ic_raster *out) {
    job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, png_on_error, png_on_warning);
    if (job->png == NULL) return fail(job->message, job->message_size, IC_ERR_NO_MEMORY, "out of memory");
    job->info = png_create_info_struct(job->png);
    if (job->info == NULL) return fail(job->message, job->message_size, IC_ERR_NO_MEMORY, "out of memory");

    if (setjmp(png_jmpbuf(job->png))) return job->hit_end ? IC_ERR_TRUNCATED : IC_ERR_CORRUPT;

    png_set_read_fn(job->png, job, png_read_memory);
    png_read_info(job->png, job->info);

    png_uint_32 width, height;
    int depth, color_type, interlace;
    png_get_IHDR(job->png, job->info, &width, &height, &depth, &color_type, &interlace, NULL, NULL);
    if ((size_t)width * height > IC_MAX_PIXELS)
        return too_large(job->message, job->message_size, width, height);

    // Normalise every colour type to 8- or 16-bit gray, gray+alpha, RGB or RGBA.
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(job->png);
    if (color_type == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(job->png);
    if (png_get_valid(job->png, job->info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(job->png);
    if (depth == 16 && host_is_little_endian()) png_set_swap(job->png);  // PNG is big-endian
    png_set_interlace_handling(job->png);  // de-interlaces Adam7 inside png_read_image
    png_read_update_info(job->png, job->info);

    int channels = png_get_channels(job->png, job->info);
    int out_depth = png_get_bit_depth(job->png, job->info);
    size_t row_bytes = png_get_rowbytes(job->png, job->info);
    if (channels < 1 || channels > 4 || (out_depth != 8 && out_depth != 16) ||
        row_bytes != (size_t)width * channels * (out_depth / 8))
        return fail(job->message, job->message_size, IC_ERR_UNSUPPORTED, "unexpected sample layout");

    job->pixels = malloc(row_bytes * height);
    job->rows = malloc(sizeof(png_bytep) * height);
    if (job->pixels == NULL || job->rows == NULL)
        return fail(job->message, job->message_size, IC_ERR_NO_MEMORY, "out of memory");
    for (png_uint_32 y = 0; y < height; y++) job->rows[y] = job->pixels + y * row_bytes;

    png_read_image(job->png, job->rows);
    png_read_end(job->png, NULL);  // checks the trailing chunks and CRCs up to IEND

    out->width = (int)width;
    out->height = (int)height;
    out->channels = channels;
    out->bit_depth = out_depth;
    out->data = job->pixels;
    job->pixels = NULL;  // now owned by the caller
    return IC_OK;
}

int ic_decode_png(const unsigned char *bytes, size_t size, ic_raster *out,
                  char *message, size_t message_size) {
    memset(out, 0, sizeof *out);
    png_job job = {0};
    job.bytes = bytes;
    job.size = size;
    job.message = message;
    job.message_size = message_size;
    int code = png_decode_guarded(&job, out);
    free(job.pixels);
    free(job.rows);
    png_destroy_read_struct(&job.png, &job.info, NULL);  // accepts NULLs
    return code;
}

// MARK: - JPEG decoding

typedef struct {
    struct jpeg_error_mgr manager;  // first, so a j_common_ptr's err can be cast back
    jmp_buf jump;
    int code;
    char *message;
    size_t message_size;
} jpeg_errors;

typedef struct {
    struct jpeg_decompress_struct cinfo;
    jpeg_errors errors;
    unsigned char *pixels;
} jpeg_job;

static void jpeg_fail(j_common_ptr cinfo, int code) {
    jpeg_errors *errors = (jpeg_errors *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    cinfo->err->format_message(cinfo, text);
    set_message(errors->message, errors->message_size, text);
    errors->code = code;
    longjmp(errors->jump, 1);
}

static void jpeg_on_error(j_common_ptr cinfo) {
    int code = cinfo->err->msg_code == JERR_BAD_PRECISION ? IC_ERR_UNSUPPORTED : IC_ERR_CORRUPT;
    jpeg_fail(cinfo, code);
}

// libjpeg recovers from most corrupt data with a warning; those are ignored.
// Running out of data is the exception, at the end of the file or at a marker before the
// scan is complete: libjpeg would pad the rest of the image with gray (a 400-byte file
// claiming 65292x246 pixels became a 16-megapixel gray image).
static void jpeg_on_message(j_common_ptr cinfo, int level) {
    int code = cinfo->err->msg_code;
    if (level == -1 && (code == JWRN_JPEG_EOF || code == JWRN_HIT_MARKER)) jpeg_fail(cinfo, IC_ERR_TRUNCATED);
}

// CMYK (4 samples) to RGB (3 samples) in place, front to back: pixel i is read
// from 4i..4i+3 before 3i..3i+2 is written, and later reads lie beyond.
static void cmyk_to_rgb(unsigned char *pixels, size_t count, int adobe_inverted) {
    for (size_t i = 0; i < count; i++) {
        unsigned c = pixels[4 * i], m = pixels[4 * i + 1], y = pixels[4 * i + 2], k = pixels[4 * i + 3];
        if (!adobe_inverted) {
            c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k;
        }
        // With inverted samples, c is already 255 - cyan, so red = c * k / 255.
        pixels[3 * i] = (unsigned char)((c * k + 127) / 255);
        pixels[3 * i + 1] = (unsigned char)((m * k + 127) / 255);
        pixels[3 * i + 2] = (unsigned char)((y * k + 127) / 255);
    }
}

static int jpeg_decode_guarded(jpeg_job *job, const unsigned char *bytes, size_t size, ic_raster *out) {
    struct jpeg_decompress_struct *cinfo = &job->cinfo;
    cinfo->err = jpeg_std_error(&job->errors.manager);
    job->errors.manager.error_exit = jpeg_on_error;
    job->errors.manager.emit_message = jpeg_on_message;
    if (setjmp(job->errors.jump)) return job->errors.code;

    jpeg_create_decompress(cinfo);
    jpeg_mem_src(cinfo, bytes, (unsigned long)size);
    jpeg_read_header(cinfo, TRUE);

    int cmyk = 0;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case JCS_YCbCr:
    case JCS_RGB: cinfo->out_color_space = JCS_RGB; break;
    case JCS_CMYK:
    case JCS_YCCK: cinfo->out_color_space = JCS_CMYK; cmyk = 1; break;
    default: {
        char text[120];
        snprintf(text, sizeof text, "unknown colour space with %d components", cinfo->num_components);
        return fail(job->errors.message, job->errors.message_size, IC_ERR_UNSUPPORTED, text);
    }
    }
    if ((size_t)cinfo->image_width * cinfo->image_height > IC_MAX_PIXELS)
        return too_large(job->errors.message, job->errors.message_size, cinfo->image_width, cinfo->image_height);

    jpeg_start_decompress(cinfo);
    size_t width = cinfo->output_width, height = cinfo->output_height;
    size_t row_bytes = width * (size_t)cinfo->output_components;
    job->pixels = malloc(row_bytes * height);
    if (job->pixels == NULL) return fail(job->errors.message, job->errors.message_size, IC_ERR_NO_MEMORY, "out of memory");
    while (cinfo->output_scanline < height) {
        JSAMPROW row = job->pixels + (size_t)cinfo->output_scanline * row_bytes;
        jpeg_read_scanlines(cinfo, &row, 1);
    }
    jpeg_finish_decompress(cinfo);  // reads up to EOI, so a missing tail is caught

    if (cmyk) cmyk_to_rgb(job->pixels, width * height, cinfo->saw_Adobe_marker);
    out->width = (int)width;
    out->height = (int)height;
    out->channels = cmyk ? 3 : cinfo->output_components;
    out->bit_depth = 8;
    out->data = job->pixels;
    job->pixels = NULL;  // now owned by the caller
    return IC_OK;
}

int ic_decode_jpeg(const unsigned char *bytes, size_t size, ic_raster *out,
                   char *message, size_t message_size) {
    memset(out, 0, sizeof *out);
    jpeg_job job;
    memset(&job, 0, sizeof job);  // jpeg_destroy is safe on a zeroed or half-created struct
    job.errors.message = message;
    job.errors.message_size = message_size;
    int code = jpeg_decode_guarded(&job, bytes, size, out);
    free(job.pixels);
    jpeg_destroy_decompress(&job.cinfo);
    return code;
}

// MARK: - PNG encoding

typedef struct {
    char *message;
    size_t message_size;
    png_structp png;
    png_infop info;
    unsigned char *bytes;  // the growing output buffer
    size_t size, capacity;
} png_write_job;

static void png_write_on_error(png_structp png, png_const_charp text) {
    png_write_job *job = png_get_error_ptr(png);
    set_message(job->message, job->message_size, text);
    png_longjmp(png, 1);
}

static void png_write_memory(png_structp png, png_bytep data, size_t count) {
    png_write_job *job = png_get_io_ptr(png);
    if (count > job->capacity - job->size) {
        size_t capacity = job->capacity ? job->capacity : 4096;
        while (count > capacity - job->size) capacity *= 2;
        unsigned char *grown = realloc(job->bytes, capacity);
        if (grown == NULL) png_error(png, "out of memory");
        job->bytes = grown;
        job->capacity = capacity;
    }
    memcpy(job->bytes + job->size, data, count);
    job->size += count;
}

static void png_flush_memory(png_structp png) { (void)png; }

static int png_encode_guarded(png_write_job *job, const unsigned char *samples,
                              int width, int height, int channels) {
    job->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, job, png_write_on_error, png_on_warning);
    if (job->png == NULL) return fail(job->message, job->message_size, IC_ERR_NO_MEMORY, "out of memory");
    job->info = png_create_info_struct(job->png);
    if (job->info == NULL) return fail(job->message, job->message_size, IC_ERR_NO_MEMORY, "out of memory");

    if (setjmp(png_jmpbuf(job->png))) return IC_ERR_INVALID_ARGUMENT;

    png_set_write_fn(job->png, job, png_write_memory, png_flush_memory);
    png_set_IHDR(job->png, job->info, (png_uint_32)width, (png_uint_32)height, 8,
                 channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(job->png, job->info);
    size_t row_bytes = (size_t)width * channels;
    for (int y = 0; y < height; y++) png_write_row(job->png, samples + (size_t)y * row_bytes);
    png_write_end(job->png, NULL);
    return IC_OK;
}

int ic_encode_png(const unsigned char *samples, int width, int height, int channels,
                  unsigned char **png, size_t *png_size,
                  char *message, size_t message_size) {
    *png = NULL;
    *png_size = 0;
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3))
        return fail(message, message_size, IC_ERR_INVALID_ARGUMENT, "need width, height > 0 and 1 or 3 channels");
    png_write_job job = {0};
    job.message = message;
    job.message_size = message_size;
    int code = png_encode_guarded(&job, samples, width, height, channels);
    png_destroy_write_struct(&job.png, &job.info);  // accepts NULLs
    if (code == IC_OK) {
        *png = job.bytes;
        *png_size = job.size;
    } else {
        free(job.bytes);
    }
    return code;
}
