/*
 * plugsim: a small, deterministic discrete-event network simulator for
 * plugtcp, in the spirit of ns-3.  This umbrella header includes the
 * whole public API.  docs/simulator.md describes the model.
 */
#ifndef PLUGSIM_PLUGSIM_H
#define PLUGSIM_PLUGSIM_H

#include <plugsim/app.h>
#include <plugsim/common.h>
#include <plugsim/ladder.h>
#include <plugsim/link.h>
#include <plugsim/node.h>
#include <plugsim/pcap.h>
#include <plugsim/pkt.h>
#include <plugsim/rng.h>
#include <plugsim/scenario.h>
#include <plugsim/sched.h>
#include <plugsim/socket.h>
#include <plugsim/trace.h>

#endif /* PLUGSIM_PLUGSIM_H */
