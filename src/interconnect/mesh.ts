// The 2D mesh: node k sits at column k % width, row floor(k / width). Messages follow
// dimension-order (XY) routing, which cannot deadlock (gem5 Mesh_XY). The latency of a message,
// without contention, is the network interface's fixed cost, one router-and-link delay per hop,
// and its serialization on a link: bytes / linkBytesPerCycle.
//
// Contention is modelled at the two ends, where it is deterministic under parallel simulation:
// each node's network interface sends one message at a time (NetworkInterface.depart) and takes
// in one at a time (arrive). Links inside the mesh are not modelled as shared: their users sit on
// different workers, and ordering them would need a global order of every hop.

/** meshWidth 0 derives the squarest mesh for the node count. */
import type { MachineConfig } from '../config/machine.js';

export type MeshParams = Pick<MachineConfig, 'nodes' | 'meshWidth' | 'niCycles' | 'hopCycles' | 'linkBytesPerCycle' | 'headerBytes'>;

export class Mesh {
  readonly width: number;
  readonly height: number;

  constructor(readonly p: MeshParams) {
    this.width = p.meshWidth > 0 ? p.meshWidth : squarestWidth(p.nodes);
    this.height = Math.ceil(p.nodes / this.width);
  }

  x(node: number): number {
    return node % this.width;
  }

  y(node: number): number {
    return Math.floor(node / this.width);
  }

  hops(a: number, b: number): number {
    return Math.abs(this.x(a) - this.x(b)) + Math.abs(this.y(a) - this.y(b));
  }

  /** Nodes visited from a to b under XY routing, both ends included. */
  route(a: number, b: number): number[] {
    const path = [a];
    let x = this.x(a), y = this.y(a);
    const tx = this.x(b), ty = this.y(b);
    while (x !== tx) { x += x < tx ? 1 : -1; path.push(y * this.width + x); }
    while (y !== ty) { y += y < ty ? 1 : -1; path.push(y * this.width + x); }
    return path;
  }

  serialization(bytes: number): number {
    return Math.ceil(bytes / this.p.linkBytesPerCycle);
  }

  /** Uncontended latency of a message of `bytes` from a to b (a != b). */
  latency(a: number, b: number, bytes: number): number {
    return this.p.niCycles + this.hops(a, b) * this.p.hopCycles + this.serialization(bytes);
  }

  /** The smallest latency between two different nodes. */
  minLatency(): number {
    return this.p.niCycles + this.p.hopCycles + this.serialization(this.p.headerBytes);
  }
}

function squarestWidth(n: number): number {
  return Math.ceil(Math.sqrt(n));
}

/**
 * One node's network interface: messages leave one after another and arrive one after another,
 * each occupying the interface for its serialization time.
 */
export class NetworkInterface {
  private outFree = 0;
  private inFree = 0;

  /** Time a message handed over at `t` starts leaving. */
  depart(t: number, serialization: number): number {
    const start = t > this.outFree ? t : this.outFree;
    this.outFree = start + serialization;
    return start;
  }

  /**
   * Time a message that would fully arrive at `t` without contention is delivered: it cannot
   * overlap the previous message on the input port.
   */
  arrive(t: number, serialization: number): number {
    const d = t > this.inFree + serialization ? t : this.inFree + serialization;
    this.inFree = d;
    return d;
  }
}
