/* client_frame.h -- what a WebSocket client may send, as a pure function.
 *
 * The only client message Parley defines is {"type":"ping"}; everything
 * else is answered with a bad_frame error and otherwise ignored.  Kept apart
 * from the lws callback so unit tests and the fuzzer reach it directly. */
#ifndef WSD_CLIENT_FRAME_H
#define WSD_CLIENT_FRAME_H

#include <stddef.h>

enum client_frame_kind {
    CLIENT_FRAME_PING = 0,   /* answer {"type":"pong"} */
    CLIENT_FRAME_BAD         /* answer a bad_frame error with the reason */
};

/* Classifies one complete client message msg[0..len) (`binary`: it came in
 * binary frames).  Returns CLIENT_FRAME_PING, or CLIENT_FRAME_BAD with a
 * human reason in why[0..whylen) (client-controlled bytes may be quoted in
 * it; the caller escapes it as JSON). */
enum client_frame_kind client_frame_classify(const unsigned char *msg, size_t len,
                                             int binary, char *why, size_t whylen);

#endif
