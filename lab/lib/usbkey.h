/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * usbkey.h - a node's virtual USB key (`usb = DIR|IMAGE`, `vacmlab usb`):
 * a directory made into a FAT image without root (dosfstools, mtools),
 * and the QEMU words that attach an image as usb-storage.
 */
#ifndef VACMLAB_USBKEY_H
#define VACMLAB_USBKEY_H

#include "lab/lib/error.h"

#define USBKEY_ID "usbkey" /* QEMU device id of the key (device_del) */

/**
 * usbkey_image() - the image to attach for @src: @src itself if it is a
 * regular file, else a FAT image of directory @src written to @out
 * (mkfs.fat -C, then mcopy -s of each entry; sized to the tree plus
 * room, at least 4 MiB).
 * Return: malloc'd path of the image, or NULL with @e filled.
 */
char *usbkey_image(const char *src, const char *out, struct vl_err *e);

#endif
