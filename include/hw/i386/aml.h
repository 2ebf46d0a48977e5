/*
 * A small AML (ACPI Machine Language) byte-code encoder, enough for a
 * static DSDT: names, scopes, devices, integers, strings, packages and
 * resource templates.  Implemented in hw/i386/acpi-build.c.
 *
 * Every constructor returns a new Aml holding the encoded bytes of one
 * object; functions that take an Aml * argument take ownership of it
 * (they append its bytes and free it).  Containers are built bottom-up:
 * fill the body first, then wrap it, so every PkgLength is known when it
 * is written.
 */
#ifndef HW_I386_AML_H
#define HW_I386_AML_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

typedef GByteArray Aml;

Aml *aml_new(void);
/* Append child's bytes to parent and free child. */
void aml_append(Aml *parent, Aml *child);

/* PkgLength for a body of body_len bytes (ACPI 6.x section 20.2.4). */
void aml_pkglen(Aml *out, size_t body_len);
/* NameString: "\\_SB.PCI0", "^COM1", "_HID" (segments padded with '_'). */
void aml_name_string(Aml *out, const char *path);

/* Data objects (section 20.2.3): the shortest integer encoding. */
Aml *aml_int(uint64_t value);
Aml *aml_string(const char *str);
/* EISA id "PNP0A03" compressed into a DWord integer (section 6.1.5). */
Aml *aml_eisaid(const char *id);
Aml *aml_package(unsigned nr_elements, Aml *elements);
Aml *aml_buffer(Aml *bytes);

/* Named objects (section 20.2.5). */
Aml *aml_name_decl(const char *name, Aml *value);
Aml *aml_scope(const char *name, Aml *body);
Aml *aml_device(const char *name, Aml *body);

/* Resource descriptors (section 6.4); all windows are producer ranges. */
Aml *aml_resource_template(Aml *descriptors);   /* adds the End Tag */
Aml *aml_io(uint16_t min, uint16_t max, uint8_t align, uint8_t len);
Aml *aml_irq_no_flags(uint8_t irq);
Aml *aml_word_bus_number(uint16_t min, uint16_t max);
Aml *aml_word_io(uint16_t min, uint16_t max);
Aml *aml_dword_io(uint32_t min, uint32_t max);
Aml *aml_dword_memory(uint32_t min, uint32_t max);
Aml *aml_qword_memory(uint64_t min, uint64_t max);

#endif
