/* The public C API of upqr, for Swift (the module map imports it as CUPQR). */
#include <upqr.h>
