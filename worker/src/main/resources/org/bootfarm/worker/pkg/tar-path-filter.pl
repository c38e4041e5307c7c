#!/usr/bin/perl
# bootfarm's stand-in for mmdebstrap's mmtarfilter, put first on mmdebstrap's PATH (docs/adr/0060).
#
# mmdebstrap extracts every essential package as `dpkg-deb --fsys-tarfile DEB | mmtarfilter
# --path-exclude=... --path-include=... | tar -x`. mmtarfilter is a Python program that starts once per
# package and decodes and re-encodes every member: about 0.05 s a package more than this filter on the
# 2-core build machine (docs/benchmarks.md). This filter drops the same members and passes every other
# block through unchanged.
#
# The same members: a member is dropped exactly when mmtarfilter drops it. Its name is taken as
# Python's tarfile takes it (ustar prefix, GNU long name, pax path; trailing slashes stripped), the
# first character cut off ("./usr/..." is matched as "/usr/..."), and matched against every pattern
# in order, as fnmatch matches it: the last pattern that matches decides. A directory or symbolic link
# to be dropped is kept when its name starts with the literal prefix of any include pattern's regular
# expression, which in mmtarfilter is always "(" (the expression starts "(?s:"), so in practice never.
#
# Anything this filter does not read exactly as Python does -- any option but --path-exclude and
# --path-include, a pattern with a bracket set, a sparse member, a member type other than the POSIX
# ones, a pax record that sets the size, a number not plainly octal, a bad first header -- is handed
# to the real mmtarfilter: before the first byte is read, by exec; in the middle of the stream, by
# piping the held header blocks and the rest of the input into it. Its output then continues this one's (no end-of-archive marker has
# been written yet), so the result is the same tar stream either way.
use strict;
use warnings;

my $REAL = '/usr/bin/mmtarfilter';
my @ORIGINAL = @ARGV;

sub hand_over_arguments {
    exec { $REAL } $REAL, @ORIGINAL or die "tar-path-filter: cannot run $REAL: $!\n";
}

# fnmatch.translate for patterns without bracket sets: * any run, ? one character, the rest literal.
sub glob_regex {
    my ($pattern) = @_;
    my $regex = '';
    for my $c (split //, $pattern) {
        if ($c eq '*') { $regex .= '.*' unless $regex =~ /\.\*\z/; }
        elsif ($c eq '?') { $regex .= '.'; }
        else { $regex .= quotemeta $c; }
    }
    return qr/\A(?s:$regex)\z/;
}

my @filters;    # [is_include, regex], in the order given
for (my $i = 0; $i < @ARGV; $i++) {
    my ($option, $value);
    if ($ARGV[$i] =~ /\A--(path-exclude|path-include)=(.*)\z/s) {
        ($option, $value) = ($1, $2);
    } elsif ($ARGV[$i] =~ /\A--(path-exclude|path-include)\z/ && $i + 1 < @ARGV) {
        ($option, $value) = ($1, $ARGV[++$i]);
    } else {
        hand_over_arguments();
    }
    hand_over_arguments() if $value =~ /\[/;
    utf8::decode($value);
    push @filters, [$option eq 'path-include', glob_regex($value)];
}
my $has_include = grep { $_->[0] } @filters;

binmode STDIN;
binmode STDOUT;
my $in = '';
my $at_end = 0;
my $out = '';

sub fill {
    my ($n) = @_;
    while (length($in) < $n && !$at_end) {
        my $read = sysread(STDIN, $in, 1 << 20, length $in);
        die "tar-path-filter: cannot read the tar stream: $!\n" unless defined $read;
        $at_end = 1 if $read == 0;
    }
    return length($in) >= $n;
}

sub take {
    my ($n) = @_;
    fill($n) or die "tar-path-filter: the tar stream ends inside a member\n";
    return substr($in, 0, $n, '');
}

sub flush_out {
    while (length $out) {
        my $written = syswrite(STDOUT, $out);
        die "tar-path-filter: cannot write the tar stream: $!\n" unless defined $written;
        substr($out, 0, $written, '');
    }
}

sub emit {
    $out .= $_ for @_;
    flush_out() if length($out) >= (1 << 20);
}

# Copies (or, with $keep false, skips) $n bytes of member data.
sub pass {
    my ($n, $keep) = @_;
    while ($n > 0) {
        fill(1) or die "tar-path-filter: the tar stream ends inside a member\n";
        my $chunk = $n < length($in) ? $n : length($in);
        emit(substr($in, 0, $chunk)) if $keep;
        substr($in, 0, $chunk, '');
        $n -= $chunk;
    }
}

# Writes the end-of-archive marker and reads what follows it (record padding) to the end, so the writer is
# never cut off by a closed pipe.
sub end_archive {
    emit("\0" x 1024);
    flush_out();
    $in = '';
    while (1) {
        my $read = sysread(STDIN, my $chunk, 1 << 20);
        die "tar-path-filter: cannot read the tar stream: $!\n" unless defined $read;
        last if $read == 0;
    }
    exit 0;
}

# Hands the rest of the stream, from the held blocks on, to the real mmtarfilter.
sub hand_over_stream {
    my (@held) = @_;
    flush_out();
    open(my $real, '|-', $REAL, @ORIGINAL) or die "tar-path-filter: cannot run $REAL: $!\n";
    binmode $real;
    print {$real} @held, $in or die "tar-path-filter: cannot write to $REAL: $!\n";
    $in = '';
    while (1) {
        my $read = sysread(STDIN, my $chunk, 1 << 20);
        die "tar-path-filter: cannot read the tar stream: $!\n" unless defined $read;
        last if $read == 0;
        print {$real} $chunk or die "tar-path-filter: cannot write to $REAL: $!\n";
    }
    close $real;
    exit($? == 0 ? 0 : 1);
}

sub text {    # Python's nts: up to the first NUL
    my ($bytes) = @_;
    $bytes =~ s/\0.*\z//s;
    return $bytes;
}

sub number {    # Python's nti: octal, or base-256 when the first byte says so
    my ($field) = @_;
    my $first = ord $field;
    if ($first == 0x80 || $first == 0xff) {
        my $n = 0;
        $n = $n * 256 + ord(substr($field, $_, 1)) for 1 .. length($field) - 1;
        return $first == 0xff ? $n - 256**(length($field) - 1) : $n;
    }
    my $digits = text($field);
    $digits =~ s/\A\s+|\s+\z//g;
    return undef unless $digits =~ /\A[0-7]*\z/;
    return length $digits ? oct $digits : 0;
}

sub checksum_ok {
    my ($header) = @_;
    my $stated = number(substr($header, 148, 8));
    return 0 unless defined $stated;
    my $blanked = substr($header, 0, 148) . (' ' x 8) . substr($header, 156);
    my $unsigned = unpack('%32C*', $blanked);
    my $signed = unpack('%32c*', $blanked);
    $signed -= 2**32 if $signed >= 2**31;
    return $stated == $unsigned || $stated == $signed;
}

# Whether every number field of a header is plain octal or base-256, as this filter reads them.
sub plain_numbers {
    my ($header) = @_;
    for my $field ([100, 8], [108, 8], [116, 8], [124, 12], [136, 12], [148, 8], [329, 8], [337, 8]) {
        return 0 unless defined number(substr($header, $field->[0], $field->[1]));
    }
    return 1;
}

sub blocks { my ($size) = @_; return int(($size + 511) / 512) * 512; }

sub decoded { my ($s) = @_; utf8::decode($s); return $s; }

my $ZERO = "\0" x 512;
my $members = 0;
my @held;             # the header blocks of the member being read (long names, pax headers, its own)
my ($long_name, $pax_path);
while (1) {
    unless (fill(512)) {
        # the input ends without an end marker, or inside a header: Python reads no further
        hand_over_stream(@held) if @held || !$members;
        end_archive();
    }
    my $header = take(512);
    # a number field not plainly octal or base-256: Python's int() decides what it means
    hand_over_stream(@held, $header) unless $header eq $ZERO || plain_numbers($header);
    if ($header eq $ZERO || !checksum_ok($header)) {
        # an end marker or a bad checksum: Python reads no further, unless it is the first block or follows a
        # long name or pax header (then it fails, and so does the real mmtarfilter handed the same blocks)
        hand_over_stream(@held, $header) if @held || !$members;
        end_archive();
    }
    my $size = number(substr($header, 124, 12));
    $members++;
    hand_over_stream(@held, $header) if $size < 0;
    my $type = substr($header, 156, 1);

    if ($type eq 'L' || $type eq 'K') {
        my $data = take(blocks($size));
        push @held, $header, $data;
        $long_name = decoded(text(substr($data, 0, $size))) if $type eq 'L';
        next;
    }
    if ($type eq 'x' || $type eq 'g') {
        my $data = take(blocks($size));
        my $records = substr($data, 0, $size);
        my %pax;
        my $pos = 0;
        while ($pos < length($records) && substr($records, $pos, 1) ne "\0") {
            hand_over_stream(@held, $header, $data)
                unless substr($records, $pos) =~ /\A([0-9]{1,20}) ([^=\n]+)=/s && $1 >= 5 && $pos + $1 <= length $records
                && substr($records, $pos + $1 - 1, 1) eq "\n";
            my ($length, $key) = ($1, $2);
            my $value_start = length($1) + 1 + length($2) + 1;
            $pax{$key} = substr($records, $pos + $value_start, $length - $value_start - 1);
            $pos += $length;
        }
        # keys that change which member comes next or how its name is read: Python's own reading
        hand_over_stream(@held, $header, $data)
            if grep { /\AGNU\.sparse\./ || $_ eq 'size' || $_ eq 'hdrcharset' } keys %pax;
        if ($type eq 'g') {
            hand_over_stream(@held, $header, $data) if @held || exists $pax{path};
            emit($header, $data);
            next;
        }
        push @held, $header, $data;
        if (exists $pax{path}) {
            ($pax_path = decoded($pax{path})) =~ s{/+\z}{};
        }
        next;
    }
    # the POSIX member types; a sparse or unknown one, or a non-regular one with data, is Python's to read
    hand_over_stream(@held, $header) unless $type =~ /\A[0-7\0]\z/;
    my $regular = $type eq '0' || $type eq "\0" || $type eq '7';
    hand_over_stream(@held, $header) if !$regular && $size != 0;

    my $short = text(substr($header, 0, 100));
    my $is_dir = $type eq '5' || ($type eq "\0" && $short =~ m{/\z});
    my $is_link = $type eq '2';
    my $name = decoded($short);
    $name =~ s{/+\z}{} if $is_dir;
    my $prefix = decoded(text(substr($header, 345, 155)));
    $name = "$prefix/$name" if length $prefix;
    if (defined $long_name) {
        $name = $long_name;
        $name =~ s{/\z}{} if $is_dir;
    }
    $name = $pax_path if defined $pax_path;

    my $matched = substr($name, 1);
    my $skip = 0;
    for my $filter (@filters) {
        $skip = $filter->[0] ? 0 : 1 if $matched =~ $filter->[1];
    }
    $skip = 0 if $skip && ($is_dir || $is_link) && $has_include && index($matched, '(') == 0;

    emit(@held, $header) unless $skip;
    pass($regular ? blocks($size) : 0, !$skip);
    @held = ();
    ($long_name, $pax_path) = (undef, undef);
}
