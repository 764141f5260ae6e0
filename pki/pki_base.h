/* pki_base.h - what every section header of pki/ starts from: the common
 * floor (mh_common.h) and the export mark. Each section header includes it
 * and the headers of the sub-libraries it builds on, so a sub-library's
 * files include their own headers and their dependencies' only (the rule
 * scripts/check-includes.sh checks); users include mh_pki.h. */
#ifndef MH_PKI_BASE_H
#define MH_PKI_BASE_H

#include "mh_common.h"

#define MH_PKI_API __attribute__((visibility("default")))

#endif
