/* escape.c — the wire and document forms of printed text; see escape.h. */
#include "util/escape.h"

#include <stdint.h>
#include <string.h>

/* The wire form of one byte into tmp (at least 5 bytes); returns its length. */
static size_t escape_byte(unsigned char c, char *tmp)
{
	static const char hex[] = "0123456789abcdef";
	if (c == '\\') {
		memcpy(tmp, "\\\\", 2);
		return 2;
	}
	if (c < 0x20 || c > 0x7e) {
		tmp[0] = '\\';
		tmp[1] = 'x';
		tmp[2] = hex[c >> 4];
		tmp[3] = hex[c & 15];
		return 4;
	}
	tmp[0] = (char)c;
	return 1;
}

void ea_fputs_escaped(const char *s, FILE *out)
{
	char tmp[5];
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		fwrite(tmp, 1, escape_byte(*p, tmp), out);
}


const char *ea_escape(const char *s, char *buf, size_t size)
{
	size_t n = 0;
	if (!buf || size == 0)
		return "";
	if (size < 4) { /* no room even for "..." */
		buf[0] = '\0';
		return buf;
	}
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		char tmp[5];
		size_t len = escape_byte(*p, tmp);
		if (n + len + 4 > size) { /* room for "..." and the NUL */
			memcpy(buf + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(buf + n, tmp, len);
		n += len;
	}
	buf[n] = '\0';
	return buf;
}

/* Decodes one UTF-8 sequence at p; returns its length, 0 when malformed
 * or a control character (C0, DEL, C1, bidi controls, U+2028/2029). */
static unsigned utf8_next(const unsigned char *p, uint32_t *cp)
{
	if (*p < 0x80) {
		*cp = *p;
		return *p < 0x20 || *p == 0x7f ? 0 : 1;
	}
	unsigned len = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 && *p < 0xf0 ? 3 : *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
	if (len == 0)
		return 0;
	uint32_t c = *p & (0x7f >> len);
	for (unsigned i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) || (c >= 0x80 && c <= 0x9f))
		return 0;
	/* Bidirectional controls (UAX #9: ALM, LRM, RLM, the embeddings,
	 * overrides and isolates) reorder what a terminal shows, so a line
	 * could display other than it reads ("Trojan Source", CVE-2021-42574);
	 * the line and paragraph separators break a line where none is. */
	if (c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x2028 && c <= 0x202e) ||
	    (c >= 0x2066 && c <= 0x2069))
		return 0;
	*cp = c;
	return len;
}

bool ea_utf8_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		uint32_t cp;
		unsigned len = utf8_next(p, &cp);
		if (!len)
			return false;
		p += len;
	}
	return true;
}

void ea_fputs_message(const char *msg, FILE *out)
{
	const char *p = msg ? msg : "";
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		bool printable = true;
		for (size_t i = 0; i < n && printable;) {
			uint32_t cp;
			unsigned len = utf8_next((const unsigned char *)p + i, &cp);
			printable = len > 0 && i + len <= n;
			i += len ? len : 1;
		}
		char tmp[5];
		if (printable)
			fwrite(p, 1, n, out);
		else
			for (size_t i = 0; i < n; i++)
				fwrite(tmp, 1, escape_byte((unsigned char)p[i], tmp), out);
		if (!nl)
			break;
		fputc('\n', out);
		p = nl + 1;
	}
}

const char *ea_doc_text(const char *s, char *buf, size_t size)
{
	if (!s)
		s = "";
	return ea_utf8_printable(s) ? s : ea_escape(s, buf, size);
}

/* East Asian Wide (W) and Fullwidth (F) blocks, UAX #11; the ones a
 * terminal draws two columns wide. */
static bool is_wide(uint32_t c)
{
	static const struct {
		uint32_t lo, hi;
	} wide[] = {
		{0x1100, 0x115f},  {0x2e80, 0x303e},  {0x3041, 0x33ff},  {0x3400, 0x4dbf},
		{0x4e00, 0x9fff},  {0xa000, 0xa4cf},  {0xa960, 0xa97f},  {0xac00, 0xd7a3},
		{0xf900, 0xfaff},  {0xfe10, 0xfe19},  {0xfe30, 0xfe6f},  {0xff00, 0xff60},
		{0xffe0, 0xffe6},  {0x1f300, 0x1f64f}, {0x1f900, 0x1f9ff}, {0x20000, 0x2fffd},
		{0x30000, 0x3fffd},
	};
	for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
		if (c >= wide[i].lo && c <= wide[i].hi)
			return true;
	return false;
}

/* Combining marks and zero-width characters: no column of their own. */
static bool is_zero_width(uint32_t c)
{
	return (c >= 0x0300 && c <= 0x036f) || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff;
}

size_t ea_text_columns(const char *s)
{
	size_t cols = 0;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		uint32_t cp;
		unsigned len = utf8_next(p, &cp);
		if (!len) { /* not printable text: counted as its wire form */
			char tmp[5];
			cols += escape_byte(*p, tmp);
			p++;
			continue;
		}
		cols += is_zero_width(cp) ? 0 : is_wide(cp) ? 2 : 1;
		p += len;
	}
	return cols;
}

void ea_fput_padded(const char *s, size_t width, FILE *out)
{
	fputs(s, out);
	for (size_t n = ea_text_columns(s); n < width; n++)
		fputc(' ', out);
}
