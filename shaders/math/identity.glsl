// identity: copies (used to materialise views: transpose, slice, broadcast_to, clone)
vec4 k_identity(vec4 x) { return x; }
