/*
 * upqr.h - the umbrella header of the upqr SDK: UnionPay-standard EMV QR
 * payments (merchant- and consumer-presented codes, QR images, message
 * security, acquirer API). Include this, link with -lupqr.
 */
#ifndef UPQR_H
#define UPQR_H

#include "upqr/common.h"
#include "upqr/bertlv.h"
#include "upqr/qr.h"
#include "upqr/mpm.h"
#include "upqr/sign.h"
#include "upqr/emv.h"
#include "upqr/cpm.h"
#include "upqr/scan.h"
#include "upqr/journal.h"
#include "upqr/replay.h"
#include "upqr/acquirer.h"

#endif /* UPQR_H */
