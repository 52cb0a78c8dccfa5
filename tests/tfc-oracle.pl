#!/usr/bin/perl
# tfc-oracle.pl — independent reference implementation of CMS trivial file
# catalogue (storage.xml) mapping, used to compute the expected columns of
# tests/data/tfc/*.cases.  It is written in Perl on purpose: PhEDEx itself
# (PHEDEX::Core::Catalogue::applyStorageRules) was Perl, and this script uses
# Perl's own regex engine and Perl's own s!!! substitution, exactly as PhEDEx
# did, so it shares no code (and no regex library) with lfn2pfn/tfc.c.
#
# Usage:
#   perl tests/tfc-oracle.pl NAME.xml < INPUT > NAME.cases
#       INPUT has case lines with or without expected columns:
#         l2p|p2l  PROTOCOL  DEST|-  y|n  INPUT  [anything...]
#         rt       PROTOCOL  DEST|-  y|n  LFN
#       Comments (#...) and blank lines are copied through.  For l2p/p2l the
#       expected columns are (re)computed and the full line printed:
#         l2p  PROTO  DEST  CUST  INPUT  RESULT  SPACE-TOKEN|-
#         l2p  PROTO  DEST  CUST  INPUT  !nomatch
#       rt lines are copied through after checking the round trip; a failing
#       round trip is reported on stderr and the exit status is 1.
#   perl tests/tfc-oracle.pl --check NAME.xml NAME.cases
#       Recompute every case of an existing .cases file and report lines
#       whose expected columns differ from the oracle (exit status 1 if any).
#
# Semantics (the brief of PHEDEX::Core::Catalogue::applyStorageRules):
#   - rules of the query's protocol are tried in file order, first applicable
#     rule wins;
#   - destination-match is an unanchored regex on the destination node; a
#     query without destination is not filtered by it;
#   - is-custodial="y|n" must equal the query's flag; absent means either;
#   - lfn-to-pfn with chain="X": first map the name through protocol X's
#     lfn-to-pfn rules (recursively); if that gives nothing skip the rule
#     (try the next one), else match this rule's path-match against the
#     chain's result;
#   - pfn-to-lfn with chain="X": match and rewrite with this rule first, then
#     map the result through protocol X's pfn-to-lfn rules; once this rule's
#     path-match matched, the chain's answer is final, even when the chain
#     gives nothing (no further rule is tried);
#   - the rewrite is Perl's  $name =~ s!path-match!result!  (first match only,
#     surrounding text kept, $1..$9 and ${N});
#   - space-token is sticky through a chain.  lfn-to-pfn: the rule's own token
#     overrides its chain's; pfn-to-lfn: the rule's token is set before its
#     chain runs, so the chain's token overrides it.  The token is one value
#     per call over all the rules: an lfn-to-pfn chain's token stays for the
#     next rules when this rule's path-match fails, a chain that gives
#     nothing clears it.
#   - is-custodial="" counts as absent (PhEDEx tested it for truth).
#
# The XML reader is a deliberately small regex parser, good enough for the
# well-formed test catalogues (no XML::LibXML on the build hosts): comments,
# the XML declaration, <storage-mapping>, and empty-element rules whose
# attribute values use the five predefined entities and &#N; / &#xN;.
use strict;
use warnings;

sub unescape
{
    my ($v) = @_;
    $v =~ s/&lt;/</g;
    $v =~ s/&gt;/>/g;
    $v =~ s/&quot;/"/g;
    $v =~ s/&apos;/'/g;
    $v =~ s/&#x([0-9a-fA-F]+);/chr(hex($1))/ge;
    $v =~ s/&#([0-9]+);/chr($1)/ge;
    $v =~ s/&amp;/&/g;
    return $v;
}

# Returns { 'lfn-to-pfn' => { PROTO => [rules] }, 'pfn-to-lfn' => {...} }
sub load_catalogue
{
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!\n";
    local $/;
    my $text = <$fh>;
    close $fh;
    $text =~ s/<!--.*?-->//gs;
    $text =~ s/<\?.*?\?>//gs;
    die "$file: no <storage-mapping> root\n" unless $text =~ /<storage-mapping\b[^>]*>(.*)<\/storage-mapping>/s;
    my $body = $1;
    my %rules = ('lfn-to-pfn' => {}, 'pfn-to-lfn' => {});
    while ($body =~ /<([\w-]+)((?:\s+[\w-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/>/gs)
    {
        my ($elem, $attrs) = ($1, $2);
        die "$file: unexpected element <$elem>\n" unless exists $rules{$elem};
        my %r;
        while ($attrs =~ /([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)
        {
            $r{$1} = unescape(defined $2 ? $2 : $3);
        }
        for my $need ('protocol', 'path-match', 'result')
        {
            die "$file: <$elem> without $need\n" unless defined $r{$need};
        }
        push @{ $rules{$elem}{ $r{protocol} } }, \%r;
    }
    return \%rules;
}

# ($token, $name) or () when nothing matches.  $token is PhEDEx's
# $space_token: it comes in from the caller and is one variable for the whole
# loop over the rules, so an lfn-to-pfn chain's token stays for the next rules
# when this rule's path-match then fails, and a chain that gives nothing
# leaves it undefined.
sub apply_rules
{
    my ($cat, $dir, $proto, $dest, $custodial, $given, $depth, $token) = @_;
    die "chain deeper than 20 through '$proto'\n" if $depth > 20;
    for my $rule (@{ $cat->{$dir}{$proto} || [] })
    {
        my $name = $given;
        next if defined $rule->{'is-custodial'} && $rule->{'is-custodial'} ne ''
             && $rule->{'is-custodial'} ne $custodial;
        next if defined $rule->{'destination-match'}
             && defined $dest
             && $dest !~ m!$rule->{'destination-match'}!;

        if ($dir eq 'lfn-to-pfn' && defined $rule->{chain})
        {
            my @r = apply_rules($cat, $dir, $rule->{chain}, $dest, $custodial, $name, $depth + 1, $token);
            ($token, $name) = @r ? @r : (undef, undef);
            next unless defined $name;
        }

        next unless $name =~ m!$rule->{'path-match'}!;
        {
            no warnings 'uninitialized';    # groups that did not participate
            my $ok = eval "\$name =~ s!\$rule->{'path-match'}!$rule->{result}!; 1";
            die "bad result '$rule->{result}': $@" unless $ok;
        }
        $token = $rule->{'space-token'}
            if defined $rule->{'space-token'} && $rule->{'space-token'} ne '';

        # pfn-to-lfn: once the path-match matched, the chain's answer is the
        # answer, even when it is none; no further rule is tried.
        if ($dir eq 'pfn-to-lfn' && defined $rule->{chain})
        {
            return apply_rules($cat, $dir, $rule->{chain}, $dest, $custodial, $name, $depth + 1, $token);
        }
        return ($token, $name);
    }
    return ();
}

sub map_one
{
    my ($cat, $kind, $proto, $dest, $cust, $name) = @_;
    my $dir = $kind eq 'l2p' ? 'lfn-to-pfn' : 'pfn-to-lfn';
    $dest = undef if $dest eq '-';
    die "custodial flag must be y or n, not '$cust'\n" unless $cust =~ /^[yn]$/;
    die "no $dir rules for protocol '$proto'\n" unless $cat->{$dir}{$proto};
    return apply_rules($cat, $dir, $proto, $dest, $cust, $name, 0);
}

my $check = 0;
if (@ARGV && $ARGV[0] eq '--check')
{
    $check = 1;
    shift @ARGV;
}
die "usage: $0 [--check] NAME.xml [NAME.cases]\n" unless @ARGV >= 1;
my $cat = load_catalogue(shift @ARGV);
my $status = 0;
my $lineno = 0;

while (my $line = <>)
{
    $lineno++;
    chomp $line;
    if ($line =~ /^\s*(#|$)/)
    {
        print "$line\n" unless $check;
        next;
    }
    my @f = split /\t/, $line, -1;
    die "line $lineno: too few fields: $line\n" if @f < 5;
    my ($kind, $proto, $dest, $cust, $input) = @f[0 .. 4];
    if ($kind eq 'rt')
    {
        my @p = map_one($cat, 'l2p', $proto, $dest, $cust, $input);
        my @l = @p ? map_one($cat, 'p2l', $proto, $dest, $cust, $p[1]) : ();
        if (!@p || !@l || $l[1] ne $input)
        {
            printf STDERR "line %d: round trip %s -> %s -> %s\n", $lineno, $input,
                @p ? $p[1] : '(nomatch)', @l ? $l[1] : '(nomatch)';
            $status = 1;
        }
        print "$line\n" unless $check;
        next;
    }
    die "line $lineno: unknown kind '$kind'\n" unless $kind eq 'l2p' || $kind eq 'p2l';
    my @r = map_one($cat, $kind, $proto, $dest, $cust, $input);
    my $out = join "\t", $kind, $proto, $dest, $cust, $input,
        @r ? ($r[1], defined $r[0] ? $r[0] : '-') : ('!nomatch');
    if ($check)
    {
        # Compare what the line states; a missing token column is not checked.
        my @want = split /\t/, $out, -1;
        my $n = @f < @want ? @f : @want;
        if (@f < 6 || join("\t", @f[0 .. $n - 1]) ne join("\t", @want[0 .. $n - 1]))
        {
            print STDERR "line $lineno: file says\n  $line\noracle says\n  $out\n";
            $status = 1;
        }
    }
    else
    {
        print "$out\n";
    }
}
exit $status;
