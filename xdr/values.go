package xdr

// Codecs for single values of the base types, for procedures whose
// arguments or results are a bare bool, integer or string rather than a
// named type.

// Bool is a bool that encodes itself.
type Bool bool

// MarshalXDR implements Marshaler.
func (v *Bool) MarshalXDR(e *Encoder) error { e.PutBool(bool(*v)); return nil }

// UnmarshalXDR implements Unmarshaler.
func (v *Bool) UnmarshalXDR(d *Decoder) error { *v = Bool(d.Bool()); return d.Err() }

// Int32 is an int that encodes itself.
type Int32 int32

// MarshalXDR implements Marshaler.
func (v *Int32) MarshalXDR(e *Encoder) error { e.PutInt32(int32(*v)); return nil }

// UnmarshalXDR implements Unmarshaler.
func (v *Int32) UnmarshalXDR(d *Decoder) error { *v = Int32(d.Int32()); return d.Err() }

// Uint32 is an unsigned int that encodes itself.
type Uint32 uint32

// MarshalXDR implements Marshaler.
func (v *Uint32) MarshalXDR(e *Encoder) error { e.PutUint32(uint32(*v)); return nil }

// UnmarshalXDR implements Unmarshaler.
func (v *Uint32) UnmarshalXDR(d *Decoder) error { *v = Uint32(d.Uint32()); return d.Err() }

// Int64 is a hyper that encodes itself.
type Int64 int64

// MarshalXDR implements Marshaler.
func (v *Int64) MarshalXDR(e *Encoder) error { e.PutInt64(int64(*v)); return nil }

// UnmarshalXDR implements Unmarshaler.
func (v *Int64) UnmarshalXDR(d *Decoder) error { *v = Int64(d.Int64()); return d.Err() }

// Uint64 is an unsigned hyper that encodes itself.
type Uint64 uint64

// MarshalXDR implements Marshaler.
func (v *Uint64) MarshalXDR(e *Encoder) error { e.PutUint64(uint64(*v)); return nil }

// UnmarshalXDR implements Unmarshaler.
func (v *Uint64) UnmarshalXDR(d *Decoder) error { *v = Uint64(d.Uint64()); return d.Err() }
