// `chatc verify` (chatc_verify.cc); argv starts after "verify".
#pragma once

namespace clusterd {
int chatc_verify(int argc, char** argv);
}
