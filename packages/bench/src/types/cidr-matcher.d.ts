declare module 'cidr-matcher' {
  /** cidr-matcher 2.x: a linear scan over ranges parsed with ip6addr. */
  class CidrMatcher {
    constructor(cidrs?: string[]);
    addNetworkClass(cidr: string): void;
    /** An address as a string or (IPv4) a 32-bit number. */
    contains(address: string | number): boolean;
    containsAny(addresses: (string | number)[]): boolean;
  }
  export = CidrMatcher;
}
