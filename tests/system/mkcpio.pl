#!/usr/bin/perl
# mkcpio.pl ROOT - write a newc cpio archive of the tree ROOT to stdout,
# with every file owned by root and a /dev/console character device added
# (so no mknod, cpio or root privileges are needed on the host). Used by
# linux-fetch.sh to build the initramfs.
use strict;
use warnings;
use File::Find;

my $root = shift or die "usage: mkcpio.pl ROOT\n";
my $ino = 1;

sub entry {
	my ($name, $mode, $rdevmaj, $rdevmin, $data) = @_;
	my $namesize = length($name) + 1;
	print sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		$ino++, $mode, 0, 0, 1, 0, length($data), 0, 0,
		$rdevmaj, $rdevmin, $namesize, 0);
	print $name, "\0";
	print "\0" x ((4 - (110 + $namesize) % 4) % 4);
	print $data;
	print "\0" x ((4 - length($data) % 4) % 4);
}

binmode STDOUT;
my @paths;
find({ wanted => sub { push @paths, $File::Find::name }, no_chdir => 1 }, $root);
for my $p (sort @paths) {
	my $name = substr($p, length($root));
	$name =~ s{^/}{};
	next if $name eq '';
	my @st = lstat($p) or die "$p: $!\n";
	my $mode = $st[2];
	my $data = '';
	if (-l $p) {
		$data = readlink($p);
	} elsif (-f $p) {
		open(my $fh, '<:raw', $p) or die "$p: $!\n";
		local $/;
		$data = <$fh> // '';
		close $fh;
	}
	entry($name, $mode, 0, 0, $data);
}
entry('dev/console', 020600, 5, 1, '');
entry('TRAILER!!!', 0, 0, 0, '');
